package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gridwatch/gridwatch/firmware-sim/modbus"
)

// cmdModbusSlave plays Modbus RTU I/O modules on a serial line: a real port
// with a USB-RS485 adapter, or a new pty whose path it prints for the
// gateway. Coil changes are logged.
func cmdModbusSlave(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modbus-slave", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.String("port", "", "serial port to answer on, e.g. /dev/ttyUSB1")
	usePTY := fs.Bool("pty", false, "create a pty and print the path the gateway should open")
	baud := fs.Int("baud", 9600, "line speed (a pty paces replies as this speed would)")
	units := fs.String("unit", "1", "unit ids on the bus, comma-separated")
	script := fs.String("script", "", "file of steps to play (press, input, tamper, mains, fault, wait)")
	runFor := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	seed := fs.Uint64("seed", 1, "seed of the line-noise generator")
	verbose := fs.Bool("v", false, "log dropped frames too")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gridsim modbus-slave (-port PATH | -pty) [-unit 1,2] [-script FILE]\n\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "gridsim modbus-slave: "+format+"\n", a...)
		return code
	}
	if len(pos) != 0 {
		return fail(exitUsage, "unexpected arguments %q", pos)
	}
	if (*port == "") == !*usePTY {
		return fail(exitUsage, "give exactly one of -port PATH and -pty")
	}
	ids, err := parseUnitIDs(*units)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	steps, err := loadScript(*script, modbus.ParseScript)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	line, path, closeLine, err := openLine(*port, *baud)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	defer closeLine()
	cfg := modbus.BusConfig{Port: line, Units: ids, Seed: *seed, Logger: newLogger(stderr, *verbose)}
	if *usePTY {
		cfg.Baud = *baud
	}
	bus, err := modbus.NewBus(cfg)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := bus.CheckScript(steps); err != nil {
		return fail(exitUsage, "%s: %v", *script, err)
	}
	if *runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}
	fmt.Fprintf(stdout, "modbus-slave: units %s answering on %s\n", *units, path)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	played := make(chan error, 1)
	go func() {
		err := bus.Play(ctx, steps, stdout)
		if err != nil {
			cancel() // a step failed: stop answering too
		}
		played <- err
	}()
	runErr := bus.Run(ctx)
	cancel()
	playErr := <-played
	if errors.Is(playErr, context.Canceled) || errors.Is(playErr, context.DeadlineExceeded) {
		playErr = nil
	}
	if err := errors.Join(runErr, playErr); err != nil {
		return fail(exitFail, "%v", err)
	}
	return exitOK
}

// parseUnitIDs reads "1,2,0x10".
func parseUnitIDs(s string) ([]byte, error) {
	var ids []byte
	for _, f := range strings.Split(s, ",") {
		id, err := strconv.ParseUint(strings.TrimSpace(f), 0, 8)
		if err != nil || id == 0 || id > 247 {
			return nil, fmt.Errorf("-unit: %q is not a unit id 1-247", f)
		}
		ids = append(ids, byte(id))
	}
	return ids, nil
}
