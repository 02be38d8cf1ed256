package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridwatch/gridwatch/rules/engine"
)

// ruleState keeps the rules' state (count windows, started sequences,
// supervision deadlines, silences set over the API) across restarts, as a
// snapshot file in the data directory.
//
// A snapshot says which journal event it was taken after (S). It is
// written only once the escalation desk's checkpoint (D) has reached S, so
// at the next start S ≤ D always holds: the journal is replayed from S,
// events up to D only rebuild the rules' state (the desk has their
// effects) and later ones go on to the desk as usual. Nothing is counted
// twice and nothing is missed, however old the snapshot.
type ruleState struct {
	path       string
	pipe       *pipeline
	checkpoint func() uint64 // the desk's
	every      time.Duration
	log        *slog.Logger
	// kick asks for a snapshot now (the rules were reloaded).
	kick chan struct{}
	// writeMu keeps two writers off the file at once.
	writeMu sync.Mutex
	// saved is the event the snapshot on disk was taken after (0: none
	// usable): the journal is never pruned past it.
	saved atomic.Uint64
}

// savedAfter returns the event the snapshot on disk covers, 0 if none.
func (r *ruleState) savedAfter() uint64 { return r.saved.Load() }

// ruleSnapshotEvery bounds how much of the journal a start replays into
// the rules beyond the desk's checkpoint.
const ruleSnapshotEvery = time.Minute

// checkpointWait bounds how long a snapshot waits for the desk to store
// the events it covers; a desk that far behind skips the round.
const checkpointWait = 10 * time.Second

func newRuleState(dataDir string, pipe *pipeline, checkpoint func() uint64, log *slog.Logger) *ruleState {
	return &ruleState{path: filepath.Join(dataDir, "rules.state"), pipe: pipe, checkpoint: checkpoint,
		every: ruleSnapshotEvery, log: log, kick: make(chan struct{}, 1)}
}

// restore loads the snapshot into the pipeline's engine and returns the
// journal event to replay after: the snapshot's S, or deskAfter when
// there is no usable snapshot. A snapshot that cannot be read, or that is
// ahead of the desk (the alarm store was replaced), is set aside with a
// warning: the rules then start empty, as they would on a first start.
func (r *ruleState) restore(deskAfter uint64, now time.Time) uint64 {
	b, err := os.ReadFile(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return deskAfter
	}
	if err == nil {
		var last uint64
		last, err = r.pipe.restore(bytes.NewReader(b), now)
		if err == nil && last <= deskAfter {
			r.log.Info("rule state restored", "after_event", last, "bytes", len(b))
			r.saved.Store(last)
			return last
		}
		if err == nil {
			r.pipe.reset() // it would count the events replayed after deskAfter twice
			err = fmt.Errorf("snapshot is after event %d but the alarm store only after %d", last, deskAfter)
		}
	}
	r.log.Warn("rule state not restored; windows and supervision start afresh", "path", r.path, "err", err)
	if rerr := os.Rename(r.path, r.path+".bad"); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		r.log.Warn("unusable rule state not set aside", "err", rerr)
	}
	return deskAfter
}

// run writes a snapshot every r.every and when kicked, and stops when ctx
// is done. The last snapshot at shutdown is written by final.
func (r *ruleState) run(ctx context.Context) error {
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-r.kick:
		}
		if err := r.save(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("rule state not saved", "err", err)
		}
	}
}

// request asks run for a snapshot soon, without waiting.
func (r *ruleState) request() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// save takes a snapshot and writes it once the desk has stored every
// event it covers.
func (r *ruleState) save(ctx context.Context) error {
	b, last, err := r.pipe.snapshot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, checkpointWait)
	defer cancel()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for r.checkpoint() < last {
		select {
		case <-ctx.Done():
			return fmt.Errorf("escalation desk still at event %d, snapshot after %d: %w", r.checkpoint(), last, ctx.Err())
		case <-poll.C:
		}
	}
	return r.write(b, last)
}

// write puts a snapshot taken after event last on disk.
func (r *ruleState) write(b []byte, last uint64) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if err := writeAtomic(r.path, b); err != nil {
		return err
	}
	r.saved.Store(last)
	return nil
}

// final writes the snapshot at shutdown, after the desk stopped: only when
// the desk stored everything the rules saw (otherwise the last periodic
// snapshot stands, and the journal covers the rest).
func (r *ruleState) final() {
	b, last, err := r.pipe.snapshot()
	if err == nil && last > r.checkpoint() {
		r.log.Info("rule state not saved at stop: the desk had not stored every event; the last snapshot stands",
			"rules_at", last, "desk_at", r.checkpoint())
		return
	}
	if err == nil {
		err = r.write(b, last)
	}
	if err != nil {
		r.log.Error("rule state not saved at stop", "err", err)
	}
}

// writeAtomic replaces path with b: temp file, fsync, rename, fsync of
// the directory, so a crash leaves the old file or the new one.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// snapshot serialises the engine's state under the pipeline's lock and
// returns it with the last event it covers.
func (p *pipeline) snapshot() ([]byte, uint64, error) {
	var buf bytes.Buffer
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handOverSigns()
	if err := p.engine.Snapshot(&buf); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), p.engine.LastEvent(), nil
}

// restore loads a snapshot into the engine; on error the engine is left
// empty, as compiled.
func (p *pipeline) restore(r *bytes.Reader, now time.Time) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.engine.Restore(r, now); err != nil {
		return 0, err
	}
	return p.engine.LastEvent(), nil
}

// reset empties the engine's state.
func (p *pipeline) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.engine.Reset()
}

// reload swaps in a new rule set, keeping the state of unchanged rules.
func (p *pipeline) reload(cfg engine.Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.engine.Reload(cfg)
	if err != nil {
		return err
	}
	p.engine = n
	return nil
}
