package testlog_test

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testlog"
)

// TestBufferIsSafeForConcurrentLoggers writes from many goroutines while
// reading; -race fails a Buffer that is not, and every line must arrive whole.
func TestBufferIsSafeForConcurrentLoggers(t *testing.T) {
	var b testlog.Buffer
	log := slog.New(slog.NewTextHandler(&b, nil))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				log.Info("tick", "g", g, "i", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := len(b.Lines("msg=tick")); n != 8*50 {
		t.Fatalf("got %d whole lines, want %d", n, 8*50)
	}
}

func TestLinesMatchesEveryWord(t *testing.T) {
	var b testlog.Buffer
	fmt.Fprint(&b, "a x\nb x y\n\nc y\n")
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{nil, []string{"a x", "b x y", "c y"}},
		{[]string{"x"}, []string{"a x", "b x y"}},
		{[]string{"x", "y"}, []string{"b x y"}},
		{[]string{"z"}, nil},
	} {
		if got := b.Lines(tc.words...); !slices.Equal(got, tc.want) {
			t.Errorf("Lines(%q) = %q, want %q", tc.words, got, tc.want)
		}
	}
}
