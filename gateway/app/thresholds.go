package app

import (
	"path/filepath"

	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/gateway/thresholds"
)

// thresholdsFile is the telemetry thresholds' state in the data directory.
const thresholdsFile = "thresholds.json"

// openThresholds builds the telemetry thresholds on the journal and
// restores their state (the file, then the journal after it), before any
// input is taken: a condition raised before the restart stays raised.
func (a *App) openThresholds(j *journal.Journal) (*thresholds.Monitor, error) {
	m, err := thresholds.New(thresholds.Config{
		Path: filepath.Join(a.cfg.DataDir, thresholdsFile), Registry: a.reg.Get, Journal: j,
		Logger: a.log.With("component", "thresholds"), Registerer: a.metrics,
	})
	if err != nil {
		return nil, a.errf("%w", err)
	}
	if err := m.Restore(j); err != nil {
		return nil, a.errf("%w", err)
	}
	return m, nil
}
