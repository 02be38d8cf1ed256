package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/silence"
)

// The snapshot format is JSON lines: a header, then for each stateful
// rule a "rule" line (id and definition hash) followed by one line per
// key of its state, then an "end" line with the number of lines between
// header and end, so a truncated file is detected. Times are absolute
// Unix milliseconds.
const (
	snapshotFormat  = "gridwatch.rules.state"
	snapshotVersion = 1
	// maxSnapshotLine bounds one line (a count key keeps at most
	// maxCount+1 times).
	maxSnapshotLine = 64 << 10
)

// record is one line of a snapshot. K says what it is; the other fields
// are used as K needs them.
type record struct {
	K       string           `json:"k"`
	V       int              `json:"v,omitempty"`
	Rule    string           `json:"rule,omitempty"`
	Hash    string           `json:"hash,omitempty"`
	Key     string           `json:"key,omitempty"`
	Grid    string           `json:"grid,omitempty"`
	At      int64            `json:"at,omitempty"`
	Due     int64            `json:"due,omitempty"`
	Times   []int64          `json:"t,omitempty"`
	On      bool             `json:"on,omitempty"`
	N       int              `json:"n,omitempty"`
	Last    uint64           `json:"last,omitempty"`
	Event   *event.Event     `json:"event,omitempty"`
	Silence *silence.Silence `json:"silence,omitempty"` // read only, from earlier versions
	Extra   json.RawMessage  `json:"x,omitempty"`       // reserved; ignored by version 1
}

// Snapshot writes the engine's state: every stateful rule's windows,
// started sequences, supervision (last sign of life, deadline, offline
// devices), pending derived events, and the last event ID evaluated.
// Operators' silences are not part of it: their set stores them. State is keyed by rule id and definition
// hash, so Restore into a changed rule set ignores what no longer fits.
// Snapshot belongs to the engine's owner, like Evaluate.
func (e *Engine) Snapshot(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	n := 0
	var err error
	put := func(r record) {
		if err == nil {
			err = enc.Encode(r)
			n++
		}
	}
	if err = enc.Encode(record{K: snapshotFormat, V: snapshotVersion, Last: e.lastID}); err != nil {
		return fmt.Errorf("rules: snapshot: %w", err)
	}
	for _, r := range e.rules {
		if r.state == nil {
			continue
		}
		put(record{K: "rule", Rule: r.ID, Hash: r.hash})
		r.state.save(put)
	}
	for _, ev := range e.outbox {
		put(record{K: "out", Event: &ev})
	}
	if err == nil {
		err = enc.Encode(record{K: "end", N: n})
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("rules: snapshot: %w", err)
	}
	return nil
}

// save writes one line per key of the rule's state.
func (s *ruleState) save(put func(record)) {
	if s.counts != nil {
		s.counts.Each(func(key string, times []int64) {
			put(record{K: "count", Key: key, Times: slices.Clone(times)})
		})
	}
	if s.pending != nil {
		s.pending.Each(func(key string, at int64) { put(record{K: "seq", Key: key, At: at}) })
	}
	if a := s.absence; a != nil {
		for dev, last := range a.lastSeen {
			due, _ := a.deadlines.At(dev)
			put(record{K: "seen", Key: dev, At: last, Due: due})
		}
		for dev := range a.offline {
			put(record{K: "off", Key: dev})
		}
	}
	if s.life != nil {
		s.life.save(put)
	}
}

// Restore replaces the engine's state with a snapshot written by
// Snapshot (of this or an earlier rule set). State of rules missing from
// this set, or whose definition changed, is ignored. Deadlines are
// absolute: those that passed while the gateway was down fire on the next
// Tick, each at its own time, so a device that fell silent meanwhile is
// declared offline as of when it should have been. now prunes what can
// no longer matter (idle windows).
//
// A snapshot of an earlier version also carries the operators' silences:
// each is handed to Config.Operators to adopt (Operators.Adopt), so an
// upgrade keeps them.
//
// A snapshot that is corrupt, truncated, of another format or version is
// refused with an error saying where; the engine is then left empty, as
// freshly compiled, and never half-restored.
func (e *Engine) Restore(r io.Reader, now time.Time) error {
	e.reset()
	if err := e.restore(r); err != nil {
		e.reset()
		return fmt.Errorf("rules: restore: %w", err)
	}
	ms := now.UnixMilli()
	for _, c := range e.rules {
		if st := c.state; st != nil {
			st.sweep(ms)
		}
	}
	return nil
}

// Reset drops every rule's state and everything else a snapshot holds,
// leaving the engine as freshly compiled. Silences are not state: the
// rule file's and the operators' stay.
// Like Evaluate, it belongs to the engine's owner.
func (e *Engine) Reset() { e.reset() }

// reset drops every rule's state and everything else a snapshot holds.
func (e *Engine) reset() {
	for _, c := range e.rules {
		if c.state != nil {
			c.state, _ = newRuleState(c, e.maxKeys) // cannot fail: it did at Compile
		}
	}
	e.outbox, e.lastID = nil, 0
}

func (e *Engine) restore(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSnapshotLine)
	line := 0
	next := func() (record, error) {
		line++
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return record{}, fmt.Errorf("line %d: %w", line, err)
			}
			return record{}, fmt.Errorf("line %d: unexpected end (truncated snapshot)", line)
		}
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return record{}, fmt.Errorf("line %d: %w", line, err)
		}
		return rec, nil
	}
	h, err := next()
	if err != nil {
		return err
	}
	if h.K != snapshotFormat {
		return fmt.Errorf("line 1: not a rule state snapshot (want %q)", snapshotFormat)
	}
	if h.V != snapshotVersion {
		return fmt.Errorf("line 1: snapshot version %d: want %d", h.V, snapshotVersion)
	}
	byID := make(map[string]*compiled, len(e.rules))
	for _, c := range e.rules {
		byID[c.ID] = c
	}
	var cur *compiled // the rule the key lines belong to; nil: skip them
	for n := 0; ; n++ {
		rec, err := next()
		if err != nil {
			return err
		}
		switch rec.K {
		case "end":
			if rec.N != n {
				return fmt.Errorf("line %d: end says %d lines, read %d", line, rec.N, n)
			}
			if sc.Scan() {
				return fmt.Errorf("line %d: data after the end", line+1)
			}
			e.lastID = h.Last
			return nil
		case "rule":
			cur = byID[rec.Rule]
			if cur != nil && (cur.hash != rec.Hash || cur.state == nil) {
				cur = nil // changed since: its old state means nothing now
			}
		case "silence":
			if err := e.adoptSilence(rec.Silence); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
		case "out":
			if rec.Event == nil || rec.Event.Type != event.DeviceOnline {
				return fmt.Errorf("line %d: pending event: want a device.online", line)
			}
			e.outbox = append(e.outbox, *rec.Event)
		default:
			if cur == nil {
				continue
			}
			if err := cur.state.load(rec); err != nil {
				return fmt.Errorf("line %d: rule %s: %w", line, cur.ID, err)
			}
		}
	}
}

// errKind is a key line of a kind the rule does not keep.
var errKind = errors.New("state of a kind this rule does not keep")

// load restores one key line into the rule's state.
func (s *ruleState) load(rec record) error {
	if rec.Key == "" {
		return errors.New("empty key")
	}
	switch rec.K {
	case "count":
		if s.counts == nil {
			return errKind
		}
		if len(rec.Times) > rulefile.MaxCount+1 {
			return fmt.Errorf("count key %q: %d times", rec.Key, len(rec.Times))
		}
		times := slices.Clone(rec.Times)
		slices.Sort(times)
		for _, at := range times {
			s.counts.Add(rec.Key, at)
		}
	case "seq":
		if s.pending == nil {
			return errKind
		}
		s.pending.Start(rec.Key, rec.At)
	case "seen", "off":
		return s.loadAbsence(rec)
	default:
		if s.life == nil {
			return errKind
		}
		return s.life.load(rec)
	}
	return nil
}

func (s *ruleState) loadAbsence(rec record) error {
	a := s.absence
	if a == nil {
		return errKind
	}
	if rec.K == "off" {
		a.offline[rec.Key] = struct{}{}
		return nil
	}
	a.lastSeen[rec.Key] = rec.At
	if rec.Due != 0 {
		a.deadlines.Arm(rec.Key, rec.Due)
	}
	return nil
}

// sweepSome evicts idle count and sequence keys, looking at up to budget
// of them (from a random one on); it returns how many it looked at, and
// how many keys the rule holds to look at (before the call).
func (s *ruleState) sweepSome(now int64, budget int) (looked, held int) {
	switch {
	case s.counts != nil:
		held = s.counts.Len()
		looked, _ = s.counts.SweepSome(now, budget)
	case s.pending != nil:
		held = s.pending.Len()
		looked, _ = s.pending.SweepSome(now, budget)
	}
	return looked, held
}

// sweep evicts idle count and sequence keys.
func (s *ruleState) sweep(now int64) {
	switch {
	case s.counts != nil:
		s.counts.Sweep(now)
	case s.pending != nil:
		s.pending.Sweep(now)
	}
}
