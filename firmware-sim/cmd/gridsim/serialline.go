package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"go.bug.st/serial"

	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
)

// The serial simulators (osdp-pd, modbus-slave) share how they open their
// line and read their scripts.

// openLine opens a real serial port, or a new pty when path is empty. It
// returns the port, the path the gateway should open and a closer.
func openLine(path string, baud int) (osdp.Port, string, func(), error) {
	if path == "" {
		p, err := osdp.OpenPTY()
		if err != nil {
			return nil, "", nil, err
		}
		return p.Master, p.SlavePath, func() { p.Close() }, nil
	}
	sp, err := serial.Open(path, &serial.Mode{BaudRate: baud})
	if err != nil {
		return nil, "", nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := sp.SetReadTimeout(20 * time.Millisecond); err != nil {
		sp.Close()
		return nil, "", nil, fmt.Errorf("%s: set read timeout: %w", path, err)
	}
	return sp, path, func() { sp.Close() }, nil
}

// loadScript reads a simulator's script with parse; no path is no script.
func loadScript[S any](path string, parse func(io.Reader) ([]S, error)) ([]S, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	steps, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return steps, nil
}
