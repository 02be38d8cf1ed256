package clips

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// kept is one alarm's folder of clips.
type kept struct {
	id    string
	bytes int64
	mod   time.Time // its newest file
}

// sweep deletes closed alarms' clips that are older than MaxAge, then the
// oldest while the clips take more than MaxBytes or the disk has less than
// MinFreeBytes free. An open alarm's clips, and an alarm's being recorded,
// are never deleted; nor is an alarm's the desk cannot look up.
func (s *Service) sweep() {
	all, err := s.scan()
	if err != nil {
		s.log.Warn("clips: retention scan failed", "dir", s.cfg.Dir, "err", err)
		return
	}
	slices.SortFunc(all, func(a, b kept) int { return cmp.Or(a.mod.Compare(b.mod), cmp.Compare(a.id, b.id)) })
	var total int64
	for _, k := range all {
		total += k.bytes
	}
	now := s.cfg.Now()
	free, ferr := s.cfg.Free(s.cfg.Dir)
	keep := map[string]bool{} // ids looked up, true: must stay
	removable := func(id string) bool {
		if v, ok := keep[id]; ok {
			return !v
		}
		v := s.mustKeep(id)
		keep[id] = v
		return !v
	}
	gone := map[string]bool{}
	remove := func(k kept, reason string) {
		if err := os.RemoveAll(filepath.Join(s.cfg.Dir, k.id)); err != nil {
			s.log.Warn("clips: not deleted", "alarm", k.id, "err", err)
			keep[k.id] = true
			return
		}
		gone[k.id] = true
		total -= k.bytes
		free += k.bytes
		s.m.deleted.WithLabelValues(reason).Inc()
		s.log.Info("clips deleted", "alarm", k.id, "bytes", k.bytes, "reason", reason)
	}
	for _, k := range all {
		if s.cfg.MaxAge > 0 && now.Sub(k.mod) > s.cfg.MaxAge && removable(k.id) {
			remove(k, reasonAge)
		}
	}
	over := func() (string, bool) {
		switch {
		case s.cfg.MaxBytes > 0 && total > s.cfg.MaxBytes:
			return reasonSize, true
		case ferr == nil && free < s.cfg.MinFreeBytes:
			return reasonDiskFloor, true
		}
		return "", false
	}
	for _, k := range all {
		reason, ok := over()
		if !ok {
			break
		}
		if !gone[k.id] && removable(k.id) {
			remove(k, reason)
		}
	}
	if reason, ok := over(); ok {
		s.log.Warn("clips: retention bound not met: the rest are clips of open alarms", "reason", reason,
			"bytes", total, "free", free)
	}
	if ferr == nil {
		if f, err := s.cfg.Free(s.cfg.Dir); err == nil {
			s.m.free.Set(float64(f))
		}
	}
	s.m.onDisk.Set(float64(total))
	s.m.alarms.Set(float64(len(all) - len(gone)))
}

// mustKeep reports whether an alarm's clips must stay: it is open, being
// recorded, or the desk could not say.
func (s *Service) mustKeep(id string) bool {
	s.mu.Lock()
	busy := s.active[id] > 0
	s.mu.Unlock()
	if busy {
		return true
	}
	a, ok, err := s.cfg.Desk.Get(id)
	switch {
	case err != nil:
		s.log.Warn("clips: alarm not looked up; its clips are kept", "alarm", id, "err", err)
		return true
	case !ok:
		return false // no such alarm: left over
	}
	return !a.State.Closed()
}

// scan lists the alarm folders under Dir with their size and newest file.
func (s *Service) scan() ([]kept, error) {
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil, err
	}
	var out []kept
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		k := kept{id: e.Name()}
		if info, err := e.Info(); err == nil {
			k.mod = info.ModTime()
		}
		files, err := os.ReadDir(filepath.Join(s.cfg.Dir, e.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			info, err := f.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			k.bytes += info.Size()
			if info.ModTime().After(k.mod) {
				k.mod = info.ModTime()
			}
		}
		out = append(out, k)
	}
	return out, nil
}
