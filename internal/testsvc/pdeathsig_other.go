//go:build !linux

package testsvc

import "syscall"

// setParentDeathSignal does nothing where the OS has no such signal; the
// test's cleanup still stops the service.
func setParentDeathSignal(*syscall.SysProcAttr) {}
