package serialline

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLineDefaultsAndValidate(t *testing.T) {
	d := Line{Port: "/dev/ttyUSB0"}.WithDefaults(200*time.Millisecond, time.Minute)
	want := Line{Name: "/dev/ttyUSB0", Port: "/dev/ttyUSB0", Baud: 9600, PollInterval: 100 * time.Millisecond,
		ReplyTimeout: 200 * time.Millisecond, Reprobe: time.Minute, ReopenBackoff: time.Second}
	if d != want {
		t.Errorf("defaults %+v, want %+v", d, want)
	}
	if m := (Line{Baud: 19200, Parity: ParityEven, StopBits: 1}).Mode(); m.String() != "19200 8E1" {
		t.Errorf("mode %s", m)
	}
	for _, tc := range []struct {
		name    string
		line    Line
		maxStop int
		want    []string
	}{
		{"good", Line{Port: "/dev/x", Baud: 19200, StopBits: 2}, 2, nil},
		{"every problem at once", Line{Name: "b", Baud: 14400, Parity: "mark", StopBits: 3, PollInterval: -time.Second,
			ReplyTimeout: -time.Second, Reprobe: -time.Second, ReopenBackoff: -time.Second}, 2,
			[]string{`modbus bus "b": no port`, "baud 14400 is not one of 9600, 19200", `parity "mark"`, "3 stop bits: want 1 or 2",
				"poll_interval -1s is negative", "reply_timeout -1s is negative", "reprobe -1s is negative", "reopen_backoff -1s is negative"}},
		{"osdp is 8N1", Line{Port: "/dev/x", StopBits: 2}, 1, []string{`modbus bus "/dev/x": 2 stop bits: modbus lines have 1`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.line.Validate("modbus", []int{9600, 19200}, tc.maxStop)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %q does not say %q", errs[i], w)
				}
			}
		})
	}
}

func TestLifeDue(t *testing.T) {
	var l Life
	t0 := time.Unix(1_700_000_000, 0)
	for _, step := range []struct {
		at  time.Duration
		due bool
	}{{0, true}, {time.Second, false}, {2 * time.Second, true}, {3 * time.Second, false}, {5 * time.Second, true},
		{-time.Hour, true}, // the clock stepped back: report rather than go quiet for an hour
	} {
		if got := l.Due(t0.Add(step.at)); got != step.due {
			t.Errorf("at %v: due %v, want %v", step.at, got, step.due)
		}
	}
}

// TestMetricsSharedByBuses: two buses of one protocol share the collectors,
// told apart by the bus label.
func TestMetricsSharedByBuses(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := MetricOpts{Rejected: prometheus.CounterOpts{Name: "x_rejected_total", Help: "r"},
		Timeouts: prometheus.CounterOpts{Name: "x_timeouts_total", Help: "t"}, Events: prometheus.CounterOpts{Name: "x_events_total", Help: "e"}}
	a, err := NewMetrics(reg, "osdp", "a", opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMetrics(reg, "osdp", "b", opts)
	if err != nil {
		t.Fatal(err)
	}
	a.Timeouts.Inc()
	b.Up.Set(1)
	if n := testutil.CollectAndCount(reg, "x_timeouts_total", "gridwatch_serial_bus_up"); n != 4 {
		t.Errorf("%d series, want timeouts and up for both buses", n)
	}
	if _, err := NewMetrics(reg, "osdp", "c", MetricOpts{Rejected: prometheus.CounterOpts{Name: "x_timeouts_total", Help: "t"}}); err == nil {
		t.Error("a counter registered under another's name with other labels was accepted")
	}
}
