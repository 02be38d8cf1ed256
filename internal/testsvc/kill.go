package testsvc

// kill ends the running process at once with SIGKILL, as a crash or a
// power cut would (no chance to save anything), and waits until it is
// reaped. It does nothing if the process is not running.
func (d *daemon) kill() error {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.cmd = nil
	d.mu.Unlock()
	if cmd == nil {
		return nil
	}
	return d.killAndWait(cmd, done)
}

// Kill ends the service with SIGKILL (kill -9) and waits until it is gone.
// Start brings it back on the same address.
func (s *Service) Kill() {
	s.d.t.Helper()
	if err := s.d.kill(); err != nil {
		s.d.t.Fatalf("testsvc: %v", err)
	}
}
