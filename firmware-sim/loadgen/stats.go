package loadgen

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Result is what one bench run measured. Latencies are in milliseconds.
type Result struct {
	Presses   int     `json:"presses"`    // presses published
	Paged     int     `json:"paged"`      // presses that reached a phone in time
	Lost      int     `json:"lost"`       // no notification within LostAfter
	Joined    int     `json:"joined"`     // joined an alarm already open on the box (no new page is due)
	Skipped   int     `json:"skipped"`    // press ticks with no light box free
	Unclosed  int     `json:"unclosed"`   // alarms resolved but never seen closed
	PressRate float64 `json:"press_rate"` // achieved, per second

	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`

	Background     int     `json:"background"`      // telemetry messages published
	BackgroundRate float64 `json:"background_rate"` // achieved, per second
	BgDevices      int     `json:"background_devices"`
	Lightboxes     int     `json:"lightboxes"`
	Phones         int     `json:"phones"`
	Seconds        float64 `json:"seconds"`

	// Latencies are the press → first page samples the percentiles were
	// taken from, in the order the pages arrived (for Merge).
	Latencies []time.Duration `json:"-"`
}

// summarize fills the latency figures from the samples.
func (r *Result) summarize(lat []time.Duration) {
	r.Latencies = lat
	r.Paged = len(lat)
	r.P50 = ms(Percentile(lat, 50))
	r.P90 = ms(Percentile(lat, 90))
	r.P99 = ms(Percentile(lat, 99))
	r.Max = ms(Percentile(lat, 100))
}

// Merge adds up runs of the same load, one after another (a bench's
// rounds): counts and seconds are summed, the rates are over the summed
// seconds, and the percentiles are taken from all the samples together.
func Merge(runs ...Result) Result {
	var m Result
	var lat []time.Duration
	for _, r := range runs {
		m.Presses += r.Presses
		m.Lost += r.Lost
		m.Joined += r.Joined
		m.Skipped += r.Skipped
		m.Unclosed += r.Unclosed
		m.Background += r.Background
		m.Seconds += r.Seconds
		m.BgDevices = max(m.BgDevices, r.BgDevices)
		m.Lightboxes = max(m.Lightboxes, r.Lightboxes)
		m.Phones = max(m.Phones, r.Phones)
		lat = append(lat, r.Latencies...)
	}
	if m.Seconds > 0 {
		m.PressRate = float64(m.Presses) / m.Seconds
		m.BackgroundRate = float64(m.Background) / m.Seconds
	}
	m.summarize(lat)
	return m
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// Percentile returns the p-th percentile (nearest rank) of the samples; 0
// for none. It sorts a copy.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// WriteText prints the result for a person.
func (r Result) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w,
		"presses    %d (%.2f/s)  paged %d  lost %d  joined %d  skipped %d  unclosed %d\n"+
			"latency ms p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n"+
			"background %d msgs  %.1f/s  over %d devices\n"+
			"setup      %d light boxes, %d phones, %.1f s\n",
		r.Presses, r.PressRate, r.Paged, r.Lost, r.Joined, r.Skipped, r.Unclosed,
		r.P50, r.P90, r.P99, r.Max,
		r.Background, r.BackgroundRate, r.BgDevices,
		r.Lightboxes, r.Phones, r.Seconds)
	return err
}

// ParseRate reads a rate such as "10/s", "600/m", "5000" (per second).
func ParseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("rate %q: want a non-negative number per second, like 10/s or 600/m", s)
	}
	switch strings.TrimSpace(unit) {
	case "", "s":
		return v, nil
	case "m":
		return v / 60, nil
	case "h":
		return v / 3600, nil
	}
	return 0, fmt.Errorf("rate %q: unit must be /s, /m or /h", s)
}
