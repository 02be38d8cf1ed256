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
		{Mode{Baud: 9600, StopBits: 2}, 96, 110 * time.Millisecond},
	} {
		if got := tc.m.TxTime(tc.n); got != tc.want {
			t.Errorf("%s: TxTime(%d) = %v, want %v", tc.m, tc.n, got, tc.want)
		}
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{
		{Baud: 9600}:                      "9600 8N1",
		{Baud: 19200, Parity: ParityEven}: "19200 8E1",
		{Baud: 9600, StopBits: 2}:         "9600 8N2",
	} {
		if got := m.String(); got != want {
			t.Errorf("%+v: %q, want %q", m, got, want)
		}
	}
}
