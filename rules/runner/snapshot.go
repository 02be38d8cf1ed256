package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridwatch/gridwatch/internal/atomicfile"
)

// stateFile is the rules' snapshot in the data directory.
const stateFile = "rules.state"

// snapshots keeps the rules' state (count windows, started sequences,
// supervision deadlines) across restarts, as a
// snapshot file in the data directory.
//
// A snapshot says which journal event it was taken after (S). It is
// written only once the escalation desk's checkpoint (D) has reached S, so
// at the next start S ≤ D always holds (see the package comment).
type snapshots struct {
	path  string
	owner *Runner
	every time.Duration
	log   *slog.Logger
	// kick asks for a snapshot now (the rules were reloaded).
	kick chan struct{}
	// writeMu keeps two writers off the file at once.
	writeMu sync.Mutex
	// saved is the event the snapshot on disk was taken after (0: none
	// usable): the journal is never pruned past it.
	saved atomic.Uint64
}

// snapshotEvery bounds how much of the journal a start replays into the
// rules beyond the desk's checkpoint.
const snapshotEvery = time.Minute

// checkpointWait bounds how long a snapshot waits for the desk to store
// the events it covers; a desk that far behind skips the round.
const checkpointWait = 10 * time.Second

func newSnapshots(path string, r *Runner, log *slog.Logger) *snapshots {
	return &snapshots{path: path, owner: r, every: snapshotEvery, log: log, kick: make(chan struct{}, 1)}
}

// savedAfter returns the event the snapshot on disk covers, 0 if none.
func (s *snapshots) savedAfter() uint64 { return s.saved.Load() }

// restore loads the snapshot into the engine and returns the journal
// event to replay after: the snapshot's S, or deskAfter when there is no
// usable snapshot. A snapshot that cannot be read, or that is ahead of the
// desk (the alarm store was replaced), is set aside with a warning: the
// rules then start empty, as they would on a first start.
func (s *snapshots) restore(deskAfter uint64, now time.Time) uint64 {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return deskAfter
	}
	if err == nil {
		var last uint64
		last, err = s.owner.restore(bytes.NewReader(b), now)
		if err == nil && last <= deskAfter {
			s.log.Info("rule state restored", "after_event", last, "bytes", len(b))
			s.saved.Store(last)
			return last
		}
		if err == nil {
			s.owner.reset() // it would count the events replayed after deskAfter twice
			err = fmt.Errorf("snapshot is after event %d but the alarm store only after %d", last, deskAfter)
		}
	}
	s.log.Warn("rule state not restored; windows and supervision start afresh", "path", s.path, "err", err)
	if rerr := os.Rename(s.path, s.path+".bad"); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		s.log.Warn("unusable rule state not set aside", "err", rerr)
	}
	return deskAfter
}

// run writes a snapshot every s.every and when kicked, and stops when ctx
// is done. The last snapshot at shutdown is written by final.
func (s *snapshots) run(ctx context.Context) {
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.kick:
		}
		if err := s.save(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("rule state not saved", "err", err)
		}
	}
}

// request asks run for a snapshot soon, without waiting.
func (s *snapshots) request() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// save takes a snapshot and writes it once the desk has stored every
// event it covers.
func (s *snapshots) save(ctx context.Context) error {
	b, last, err := s.owner.snapshot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, checkpointWait)
	defer cancel()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for s.owner.desk.Checkpoint() < last {
		select {
		case <-ctx.Done():
			return fmt.Errorf("escalation desk still at event %d, snapshot after %d: %w", s.owner.desk.Checkpoint(), last, ctx.Err())
		case <-poll.C:
		}
	}
	return s.write(b, last)
}

// write puts a snapshot taken after event last on disk.
func (s *snapshots) write(b []byte, last uint64) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := atomicfile.Write(s.path, b, 0o640); err != nil {
		return err
	}
	s.saved.Store(last)
	return nil
}

// final writes the snapshot at shutdown, after the desk stopped: only when
// the desk stored everything the rules saw (otherwise the last periodic
// snapshot stands, and the journal covers the rest).
func (s *snapshots) final() {
	b, last, err := s.owner.snapshot()
	if err == nil && last > s.owner.desk.Checkpoint() {
		s.log.Info("rule state not saved at stop: the desk had not stored every event; the last snapshot stands",
			"rules_at", last, "desk_at", s.owner.desk.Checkpoint())
		return
	}
	if err == nil {
		err = s.write(b, last)
	}
	if err != nil {
		s.log.Error("rule state not saved at stop", "err", err)
	}
}

// snapshot serialises the engine's state under the runner's lock and
// returns it with the last event it covers.
func (r *Runner) snapshot() ([]byte, uint64, error) {
	var buf bytes.Buffer
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handOverSigns()
	if err := r.engine.Snapshot(&buf); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), r.engine.LastEvent(), nil
}

// restore loads a snapshot into the engine; on error the engine is left
// empty, as compiled.
func (r *Runner) restore(rd *bytes.Reader, now time.Time) (uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.engine.Restore(rd, now); err != nil {
		return 0, err
	}
	return r.engine.LastEvent(), nil
}

// reset empties the engine's state.
func (r *Runner) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.engine.Reset()
}
