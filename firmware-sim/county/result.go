package county

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Result is what one run measured. Latencies are in milliseconds.
type Result struct {
	County         string  `json:"county"`
	Sites          int     `json:"sites"`
	Brokers        int     `json:"brokers"`
	ConnectSeconds float64 `json:"connect_seconds"` // all sites connected, subscribed, online
	Seconds        float64 `json:"seconds"`         // publishing

	Acked      int            `json:"acked"`       // records the broker acknowledged
	ByKind     map[string]int `json:"by_kind"`     // ... by kind
	RecordRate float64        `json:"record_rate"` // acknowledged records per second
	Failed     int            `json:"failed"`      // publishes without PUBACK in time (sent again)
	Received   int            `json:"received"`    // distinct records the subscriber got
	Lost       int            `json:"lost"`        // acknowledged, never received
	LostIDs    []string       `json:"lost_ids,omitempty"`
	Duplicates int            `json:"duplicates"`   // received again (same id)
	OutOfOrder int            `json:"out_of_order"` // a site's seq lower than one already received
	Other      int            `json:"other"`        // retained alarms, summaries, statuses received
	Bad        int            `json:"undecodable"`

	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`

	BurstPresses  int     `json:"burst_presses"`
	BurstReceived int     `json:"burst_received"`
	BurstBacklog  int     `json:"burst_backlog"`  // acknowledged, not yet received, when the burst's last press was acknowledged
	BurstDrainMS  float64 `json:"burst_drain_ms"` // from then until the burst's last press was received
	BurstP50      float64 `json:"burst_p50_ms"`
	BurstP99      float64 `json:"burst_p99_ms"`

	Self  Usage   `json:"simulator"`
	Procs []Usage `json:"processes,omitempty"`
}

func (r *Result) fill(tr *tracker, cfg Config, published time.Duration) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r.Seconds = published.Seconds()
	r.Acked = len(tr.ackedIDs)
	r.ByKind = map[string]int{}
	for k, v := range tr.kinds {
		r.ByKind[k] = v
	}
	r.RecordRate = math.Round(float64(r.Acked)/published.Seconds()*10) / 10
	r.Failed, r.Received, r.Duplicates, r.OutOfOrder = tr.failed, len(tr.got), tr.dups, tr.outOfOrder
	r.Other, r.Bad = tr.other, tr.undecodable
	for id := range tr.ackedIDs {
		if !tr.got[id] {
			r.Lost++
			if len(r.LostIDs) < 20 {
				r.LostIDs = append(r.LostIDs, id)
			}
		}
	}
	slices.Sort(r.LostIDs)
	r.P50, r.P99, r.Max = ms(percentile(tr.lat, 50)), ms(percentile(tr.lat, 99)), ms(percentile(tr.lat, 100))
	r.BurstPresses, r.BurstReceived, r.BurstBacklog = cfg.BurstPresses, tr.burstReceived, tr.burstBacklog
	if !tr.burstEnd.IsZero() && !tr.burstDrained.IsZero() {
		r.BurstDrainMS = ms(max(tr.burstDrained.Sub(tr.burstEnd), 0))
	}
	r.BurstP50, r.BurstP99 = ms(percentile(tr.burstLat, 50)), ms(percentile(tr.burstLat, 99))
}

// Check returns ErrIncomplete (with the figures) if any acknowledged
// record was lost or a site's records came out of order. Duplicates are
// allowed: delivery is at least once and ids let the county drop them.
func (r *Result) Check() error {
	if r.Lost > 0 || r.OutOfOrder > 0 || r.Bad > 0 || r.Acked == 0 {
		return fmt.Errorf("%w: acked %d, received %d, lost %d %v, out of order %d, undecodable %d",
			ErrIncomplete, r.Acked, r.Received, r.Lost, r.LostIDs, r.OutOfOrder, r.Bad)
	}
	return nil
}

// WriteText prints the result for a person.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "county %s: %d sites on %d broker(s), connected in %.1fs, published for %.0fs\n",
		r.County, r.Sites, r.Brokers, r.ConnectSeconds, r.Seconds)
	kinds := make([]string, 0, len(r.ByKind))
	for k, v := range r.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(kinds)
	fmt.Fprintf(&b, "records: acked %d (%s; %.1f/s), received %d, lost %d, duplicates %d, out of order %d, publish retries %d\n",
		r.Acked, strings.Join(kinds, ", "), r.RecordRate, r.Received, r.Lost, r.Duplicates, r.OutOfOrder, r.Failed)
	if r.Lost > 0 {
		fmt.Fprintf(&b, "lost (first %d): %s\n", len(r.LostIDs), strings.Join(r.LostIDs, " "))
	}
	fmt.Fprintf(&b, "latency publish → county subscriber: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.P50, r.P99, r.Max)
	if r.BurstPresses > 0 {
		fmt.Fprintf(&b, "burst: %d presses in 1 s, %d received; backlog when the last was acked: %d records, drained %.2f ms later; burst latency p50 %.2f ms, p99 %.2f ms\n",
			r.BurstPresses, r.BurstReceived, r.BurstBacklog, r.BurstDrainMS, r.BurstP50, r.BurstP99)
	}
	fmt.Fprintf(&b, "cpu/memory over the run: %s\n", r.Self)
	for _, p := range r.Procs {
		fmt.Fprintf(&b, "cpu/memory over the run: %s\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// percentile is the p-th percentile (nearest rank); 0 for no samples.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}
