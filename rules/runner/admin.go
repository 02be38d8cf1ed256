package runner

import (
	"context"

	"github.com/gridwatch/gridwatch/rules/engine"
)

// Reload swaps in a new rule set, keeping the state of unchanged rules,
// and asks for a snapshot of the new state soon.
func (r *Runner) Reload(cfg engine.Config) error {
	r.mu.Lock()
	n, err := r.engine.Reload(cfg)
	if err == nil {
		r.engine = n
	}
	r.mu.Unlock()
	if err != nil {
		return err
	}
	r.state.request()
	return nil
}

// Silences lists the silences in force.
func (r *Runner) Silences() []engine.Silence {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.engine.Silences()
}

// AddSilence sets a silence (or replaces one of the same ID).
func (r *Runner) AddSilence(s engine.Silence) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.engine.AddSilence(s)
}

// RemoveSilence lifts a silence; it reports whether there was one.
func (r *Runner) RemoveSilence(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.engine.RemoveSilence(id)
}

// SaveSnapshot writes the rules' state now, once the desk has stored
// every event it covers (a silence just set must survive a restart).
func (r *Runner) SaveSnapshot(ctx context.Context) error { return r.state.save(ctx) }

// RequestSnapshot asks for a snapshot soon, without waiting.
func (r *Runner) RequestSnapshot() { r.state.request() }

// SaveFinal writes the rules' state at shutdown, once Run and the desk
// have returned: only when the desk stored every event the rules saw
// (otherwise the last snapshot stands, and the journal covers the rest).
func (r *Runner) SaveFinal() { r.state.final() }
