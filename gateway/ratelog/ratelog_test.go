package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(1000, 0)
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), 10*time.Second, func() time.Time { return now })

	l.Warn("malformed", "rejected", "device", "a")
	l.Warn("malformed", "rejected", "device", "b") // suppressed
	l.Warn("malformed", "rejected", "device", "c") // suppressed
	l.Warn("oversize", "rejected", "device", "d")  // other key: out
	now = now.Add(10 * time.Second)
	l.Warn("malformed", "rejected", "device", "e") // out, with the count

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "device=a") || strings.Contains(lines[0], "suppressed") {
		t.Errorf("first line: %s", lines[0])
	}
	if !strings.Contains(lines[1], "device=d") {
		t.Errorf("second line: %s", lines[1])
	}
	if !strings.Contains(lines[2], "device=e") || !strings.Contains(lines[2], "suppressed=2") {
		t.Errorf("third line: %s", lines[2])
	}
}
