package testsvc

import "syscall"

// setParentDeathSignal asks Linux to kill the service if the test binary
// dies without running its cleanups (a -timeout panic, a SIGKILL).
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
