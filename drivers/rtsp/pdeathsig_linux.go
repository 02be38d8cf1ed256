package rtsp

import "syscall"

// setParentDeathSignal asks Linux to kill ffmpeg if the gateway dies
// without stopping it (SIGKILL, a crash): no orphan keeps the camera's
// RTSP session.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
