package modbus

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
)

// gapPort records when each request was written.
type gapPort struct {
	Port
	mu     sync.Mutex
	writes []time.Time
	units  []byte
}

func (p *gapPort) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.writes, p.units = append(p.writes, time.Now()), append(p.units, b[0])
	p.mu.Unlock()
	return p.Port.Write(b)
}

// TestQuietAfterAnUnansweredRequest: after a request that got no reply the
// master keeps the line quiet for the line's quiet_after_timeout before it
// sends anything, whatever libmodbus-like neighbour is listening.
func TestQuietAfterAnUnansweredRequest(t *testing.T) {
	const quiet = 400 * time.Millisecond
	gp := &gapPort{}
	pty, err := osdp.OpenPTY()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { pty.Close() })
	cfg := Config{Line: serialline.Line{Name: "gaps", Port: pty.SlavePath, Baud: 115200, PollInterval: 20 * time.Millisecond,
		ReplyTimeout: 50 * time.Millisecond, Reprobe: 100 * time.Millisecond, QuietAfterTimeout: quiet}, Retries: 1,
		Units: []UnitConfig{{Device: "lb-8", Unit: 8, Profile: BuiltinProfile}, {Device: "lb-9", Unit: 9, Profile: BuiltinProfile}}}
	open := func(path string, m serialline.Mode) (Port, error) {
		p, err := OpenSerial(path, m)
		gp.Port = p
		return gp, err
	}
	b, err := New(cfg, &collector{}, Options{Registerer: prometheus.NewRegistry(), Open: open})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "five requests", func() bool { gp.mu.Lock(); defer gp.mu.Unlock(); return len(gp.writes) >= 5 })
	cancel()
	<-done
	// Nothing answers on this line: every request times out, so every gap
	// between two requests is at least the reply timeout plus the quiet.
	for i := 1; i < len(gp.writes); i++ {
		if gap := gp.writes[i].Sub(gp.writes[i-1]); gap < quiet {
			t.Errorf("request %d (unit %d) went %v after an unanswered one; want at least %v of quiet", i, gp.units[i], gap, quiet)
		}
	}
}
