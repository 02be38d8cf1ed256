package engine

// Reload compiles cfg into a new engine and carries this engine's state
// over to it: the count windows, started sequences and supervision (and
// every other per-device state) of each rule whose id and definition are
// both unchanged. A changed rule (any field, compared in canonical form)
// or a removed one drops its state; a new rule starts empty. Derived
// events not yet returned by Tick and the counters carry over too, and so
// do the operators' silences when cfg names none.
//
// A cfg with any problem is refused whole: Reload returns the errors
// Compile would and this engine is untouched and still in use. On
// success the state has moved: the caller must use the returned engine
// from then on and drop this one. Like Evaluate, Reload belongs to the
// engine's owner.
func (e *Engine) Reload(cfg Config) (*Engine, error) {
	n, err := Compile(cfg)
	if err != nil {
		return nil, err
	}
	old := make(map[string]*compiled, len(e.rules))
	for _, r := range e.rules {
		old[r.ID] = r
	}
	for _, r := range n.rules {
		if o := old[r.ID]; o != nil && o.hash == r.hash && o.hash != "" {
			r.state = o.state
		}
	}
	n.outbox = e.outbox
	n.stats.WhenErrors = e.stats.WhenErrors
	n.lastID = e.lastID
	if n.operators == nil {
		n.operators = e.operators
	}
	e.outbox = nil
	return n, nil
}
