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

// SaveSnapshot writes the rules' state now, once the desk has stored
// every event it covers.
func (r *Runner) SaveSnapshot(ctx context.Context) error { return r.state.save(ctx) }

// SaveFinal writes the rules' state at shutdown, once Run and the desk
// have returned: only when the desk stored every event the rules saw
// (otherwise the last snapshot stands, and the journal covers the rest).
func (r *Runner) SaveFinal() { r.state.final() }
