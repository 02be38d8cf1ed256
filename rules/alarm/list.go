package alarm

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Filter values of Filter.State.
const (
	FilterOpen = "open" // alarms not closed (the default)
	FilterAll  = "all"  // open and closed
)

// Limits of Filter.Limit.
const (
	DefaultLimit = 500    // when Limit is 0
	MaxLimit     = 10_000 // larger limits are cut to this
)

// Filter selects alarms for List.
type Filter struct {
	// State is FilterOpen ("" means open too) or FilterAll.
	State string `json:"state,omitempty"`
	// Grid, when set, keeps only alarms of devices in exactly that cell.
	Grid string `json:"grid,omitempty"`
	// Since, when set, keeps only alarms raised at or after it (Unix ms).
	Since int64 `json:"since,omitempty"`
	// Limit caps the number of alarms; 0 means DefaultLimit.
	Limit int `json:"limit,omitempty"`
}

// Normalize fills in defaults and checks the filter, saying what is wrong.
func (f Filter) Normalize() (Filter, error) {
	switch f.State {
	case "":
		f.State = FilterOpen
	case FilterOpen, FilterAll:
	default:
		return f, fmt.Errorf("alarm filter: state %q: want %q or %q", f.State, FilterOpen, FilterAll)
	}
	switch {
	case f.Limit < 0:
		return f, fmt.Errorf("alarm filter: negative limit %d", f.Limit)
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit > MaxLimit:
		f.Limit = MaxLimit
	}
	if f.Since < 0 {
		return f, fmt.Errorf("alarm filter: negative since %d", f.Since)
	}
	return f, nil
}

// Match reports whether a passes the filter's state, grid and time tests.
func (f Filter) Match(a *Alarm) bool {
	if f.State != FilterAll && a.State.Closed() {
		return false
	}
	if f.Grid != "" && a.Grid != f.Grid {
		return false
	}
	return a.RaisedMS >= f.Since
}

// NewestFirst orders alarms by raise time, newest first, then by id
// (descending) for alarms raised in the same millisecond.
func NewestFirst(a, b *Alarm) int {
	if c := cmp.Compare(b.RaisedMS, a.RaisedMS); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// List returns the stored alarms that pass the filter, newest first.
// Listing open alarms reads only the open index, never the history;
// listing all walks the history backwards from the newest and stops at
// Since or the limit.
func (s *Store) List(f Filter) ([]*Alarm, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	var out []*Alarm
	err = s.db.View(func(tx *bolt.Tx) error {
		if f.State == FilterOpen {
			open, err := openAlarms(tx)
			if err != nil {
				return err
			}
			for _, a := range open {
				if f.Match(a) {
					out = append(out, a)
				}
			}
			slices.SortFunc(out, NewestFirst)
			if len(out) > f.Limit {
				out = out[:f.Limit]
			}
			return nil
		}
		out, err = listHistory(tx, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("alarm store %s: list: %w", s.path, err)
	}
	return out, nil
}

// listHistory walks the raise-time index from the newest entry back to
// f.Since.
func listHistory(tx *bolt.Tx, f Filter) ([]*Alarm, error) {
	all := tx.Bucket([]byte(bucketAlarms))
	floor := raisedKey(f.Since, "")
	var out []*Alarm
	c := tx.Bucket([]byte(bucketRaised)).Cursor()
	for k, _ := c.Last(); k != nil && len(out) < f.Limit; k, _ = c.Prev() {
		if bytes.Compare(k, floor) < 0 {
			break
		}
		id := k[8:]
		a, err := decodeAlarm(id, all.Get(id))
		if err != nil {
			return nil, err
		}
		if f.Match(a) {
			out = append(out, a)
		}
	}
	return out, nil
}
