package serialline

import (
	"testing"
	"time"
)

func TestModeTxTime(t *testing.T) {
	for _, tc := range []struct {
		m    Mode
		n    int
		want time.Duration
	}{
		{Mode{Baud: 9600}, 12, 12500 * time.Microsecond},
		{Mode{Baud: 9600, Parity: ParityEven}, 96, 110 * time.Millisecond},
		{Mode{Baud: 19200, Parity: ParityOdd}, 192, 110 * time.Millisecond},
	} {
		if got := tc.m.TxTime(tc.n); got != tc.want {
			t.Errorf("%s: TxTime(%d) = %v, want %v", tc.m, tc.n, got, tc.want)
		}
	}
}
