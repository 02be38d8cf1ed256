package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/internal/boltfile"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// alarmStoreFile and journalDir are the alarm store's and the journal's
// places in the data directory.
const (
	alarmStoreFile = "alarms.db"
	journalDir     = "journal"
)

// openAlarmStore opens data_dir/alarms.db. A damaged file stops the
// gateway with the way out: the alarm store holds every alarm and what the
// journal may not replay again, so it is never replaced silently.
func (a *App) openAlarmStore() (*alarm.Store, error) {
	path := filepath.Join(a.cfg.DataDir, alarmStoreFile)
	s, err := alarm.OpenStore(path)
	if errors.Is(err, alarm.ErrCorrupt) {
		return nil, a.errf("alarm store %s is damaged and the gateway will not start on it: %w\n"+
			"To recover, stop every gridwatchd on this data directory, then either restore %s from a backup, or run\n"+
			"    gridwatchd alarms reset -config <your config file>\n"+
			"which sets the damaged file aside (kept as %s.corrupt-<time>) and starts a new alarm store after the "+
			"journal's last event: alarms that were open are not restored (their events stay in %s).",
			path, err, path, path, filepath.Join(a.cfg.DataDir, journalDir))
	}
	if err != nil {
		return nil, a.errf("alarm store: %w", err)
	}
	return s, nil
}

// journalOptions ties the journal's IDs to the alarm store: IDs continue
// above its checkpoint and reservation, so a lost journal never restarts
// IDs below what the desk has handled.
func (a *App) journalOptions(store *alarm.Store) (journal.Options, error) {
	applied, reserved, err := store.EventIDs()
	if err != nil {
		return journal.Options{}, a.errf("%w", err)
	}
	return journal.Options{
		Applied:    applied,
		Reserved:   reserved,
		Reserve:    store.ReserveEventIDs,
		Headroom:   a.cfg.Journal.HeadroomBytes,
		Logger:     a.log.With("component", "journal"),
		Registerer: a.metrics,
	}, nil
}

// retention prunes the journal by age and size, every retainEvery, never
// past what a restart would replay: the older of the desk's checkpoint and
// the rules' last snapshot on disk.
type retention struct {
	journal *journal.Journal
	policy  journal.Retention
	after   func() uint64 // replays start after this ID
	every   time.Duration
	log     *slog.Logger
}

// retainEvery is how often the journal's retention runs.
const retainEvery = time.Minute

func (r *retention) run(ctx context.Context) error {
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	for {
		r.once(time.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (r *retention) once(now time.Time) {
	after := r.after()
	n, err := r.journal.Retain(r.policy, after, now)
	if err != nil && !errors.Is(err, journal.ErrClosed) {
		r.log.Warn("journal retention failed; tried again later", "err", err)
		return
	}
	if n > 0 {
		r.log.Info("journal segments removed by retention", "segments", n, "replay_after", after,
			"max_age", r.policy.MaxAge.String(), "max_bytes", r.policy.MaxBytes)
	}
}

// ResetAlarmStore is `gridwatchd alarms reset`: the way out of a damaged
// alarms.db. With every gridwatchd on the data directory stopped, it sets
// the file aside (path.corrupt-<time>) and creates a new alarm store whose
// checkpoint and ID reservation are the journal's last event: nothing the
// journal holds is raised again, and IDs continue above it. Alarms that
// were open are not restored. It returns a report for the operator.
func ResetAlarmStore(cfg config.Config, now time.Time) (string, error) {
	path := filepath.Join(cfg.DataDir, alarmStoreFile)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("alarms reset: %w", err)
	}
	// Opening the journal takes its directory lock: a running gateway
	// makes this fail rather than change the store under it.
	j, err := journal.Open(filepath.Join(cfg.DataDir, journalDir), journal.Options{})
	if err != nil {
		return "", fmt.Errorf("alarms reset: %w (is a gridwatchd still running on %s?)", err, cfg.DataDir)
	}
	last := j.LastID()
	if err := j.Close(); err != nil {
		return "", fmt.Errorf("alarms reset: %w", err)
	}
	aside, err := boltfile.SetAside(path, now)
	if err != nil {
		return "", fmt.Errorf("alarms reset: %w", err)
	}
	s, err := alarm.OpenStore(path)
	if err != nil {
		return "", fmt.Errorf("alarms reset: new store: %w", err)
	}
	err = errors.Join(s.Save(nil, last), s.ReserveEventIDs(last), s.Close())
	if err != nil {
		return "", fmt.Errorf("alarms reset: new store: %w", err)
	}
	report := fmt.Sprintf("alarm store reset: %s set aside as %s; the new store starts after journal event %d "+
		"(alarms that were open are not restored; their events stay in the journal)", path, aside, last)
	// The page ledger's pages belong to the alarms just set aside: left
	// in place, they would page people again for alarms nobody can
	// acknowledge any more.
	pages := filepath.Join(cfg.DataDir, pagesFile)
	if _, err := os.Stat(pages); err == nil {
		pagesAside, err := boltfile.SetAside(pages, now)
		if err != nil {
			return report, fmt.Errorf("alarms reset: the page ledger: %w", err)
		}
		report += fmt.Sprintf("; the page ledger %s, whose pages were for those alarms, set aside as %s", pages, pagesAside)
	}
	return report, nil
}
