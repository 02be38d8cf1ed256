package commission

import (
	"context"
	"slices"
	"time"
)

// This file is the sessions' live side: the views given to OnChange (and
// to Get and List), which copy only the devices that changed, and Run,
// which gives them at most every LiveEvery and takes the devices that
// passed out of test mode, off ingest's path.

// LiveEvery is how often, at most, Run gives OnChange a session's view.
const LiveEvery = 250 * time.Millisecond

// viewLocked is a judged copy of ss; devices that did not change since
// the last view share its copy.
func (s *Service) viewLocked(ss *Session) Session {
	final := !ss.Live()
	if ss.views == nil || ss.viewsFinal != final {
		ss.views, ss.viewsFinal = make(map[string]*Device, len(ss.Devices)), final
	}
	out := *ss
	out.views, out.raw = nil, nil
	out.Devices = make(map[string]*Device, len(ss.Devices))
	out.Summary = map[string]int{Passed: 0, Failed: 0, NotSeen: 0, Pending: 0}
	for id, d := range ss.Devices {
		v := ss.views[id]
		if v == nil {
			d.judge(final)
			v = d.copy()
			ss.views[id] = v
		}
		out.Devices[id] = v
		out.Summary[v.Outcome]++
	}
	return out
}

// copy is a deep copy of d.
func (d *Device) copy() *Device {
	c := *d
	c.Marks = make(map[Check]*Mark, len(d.Marks))
	for k, m := range d.Marks {
		mm := *m
		c.Marks[k] = &mm
	}
	c.OutOfRange = make(map[string]float64, len(d.OutOfRange))
	for k, v := range d.OutOfRange {
		c.OutOfRange[k] = v
	}
	c.Expected = slices.Clone(d.Expected)
	c.Missing = slices.Clone(d.Missing)
	return &c
}

// changedLocked counts a change of ss and has Run give its view to
// OnChange.
func (s *Service) changedLocked(ss *Session) {
	ss.Version++
	if s.cfg.OnChange != nil {
		s.pending[ss.ID] = true
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run takes the devices that passed out of test mode and gives OnChange
// the views of changed sessions, at most every LiveEvery, until ctx ends;
// then it gives what is left.
func (s *Service) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			s.publish()
			return nil
		case <-s.wake:
		}
		s.release()
		s.publish()
		t := time.NewTimer(LiveEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			s.publish()
			return nil
		case <-t.C:
		}
	}
}

// release takes the devices that passed out of their live session's
// test mode.
func (s *Service) release() {
	s.mu.Lock()
	todo := s.releases
	s.releases = map[string][]string{}
	for id := range todo {
		if ss, ok := s.sessions[id]; !ok || !ss.Live() {
			delete(todo, id) // its test mode has ended
		}
	}
	s.mu.Unlock()
	s.tm.Lock()
	defer s.tm.Unlock()
	for id, devices := range todo {
		if err := s.cfg.TestMode.Release(id, devices); err != nil {
			s.log.Warn("devices that passed stay in test mode until their session ends", "session", id, "devices", devices, "err", err)
			continue
		}
		s.log.Info("devices passed: out of test mode, back in service", "session", id, "devices", devices)
	}
}

// publish gives OnChange the view of every pending session, outside the
// lock.
func (s *Service) publish() {
	if s.cfg.OnChange == nil {
		return
	}
	s.mu.Lock()
	views := make([]Session, 0, len(s.pending))
	for id := range s.pending {
		if ss, ok := s.sessions[id]; ok {
			views = append(views, s.viewLocked(ss))
		}
		delete(s.pending, id)
	}
	s.mu.Unlock()
	for _, v := range views {
		s.cfg.OnChange(v)
	}
}
