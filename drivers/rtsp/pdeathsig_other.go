//go:build !linux

package rtsp

import "syscall"

func setParentDeathSignal(*syscall.SysProcAttr) {}
