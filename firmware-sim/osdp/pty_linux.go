package osdp

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal pair standing in for an RS-485 bus: the
// simulator holds Master, the control panel opens SlavePath as a serial
// port.
type PTY struct {
	Master    *os.File
	SlavePath string
	// slave stays open so the master never sees a hang-up while the
	// control panel reopens the port.
	slave *os.File
}

// OpenPTY opens a new pty pair with the slave in raw mode (no echo, no line
// editing, 8-bit clean). Close releases both ends.
func OpenPTY() (*PTY, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open pty master: %w", err)
	}
	var num int
	var ioErr error
	raw, err := m.SyscallConn()
	if err == nil {
		err = raw.Control(func(fd uintptr) {
			if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr != nil {
				return
			}
			num, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		})
	}
	if err = errors.Join(err, ioErr); err != nil {
		m.Close()
		return nil, fmt.Errorf("unlock pty: %w", err)
	}
	path := fmt.Sprintf("/dev/pts/%d", num)
	s, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("open pty slave %s: %w", path, err)
	}
	if err := makeRaw(s); err != nil {
		s.Close()
		m.Close()
		return nil, fmt.Errorf("pty slave %s raw mode: %w", path, err)
	}
	return &PTY{Master: m, SlavePath: path, slave: s}, nil
}

func makeRaw(f *os.File) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = raw.Control(func(fd uintptr) {
		var t *unix.Termios
		if t, ioErr = unix.IoctlGetTermios(int(fd), unix.TCGETS); ioErr != nil {
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		ioErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	return errors.Join(err, ioErr)
}

// Close closes both ends.
func (p *PTY) Close() error { return errors.Join(p.slave.Close(), p.Master.Close()) }
