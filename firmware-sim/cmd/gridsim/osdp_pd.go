package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
)

// cmdOSDPPD plays OSDP readers on a serial line: a real port with a
// USB-RS485 adapter, or a new pty whose path it prints for the gateway.
func cmdOSDPPD(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("osdp-pd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.String("port", "", "serial port to answer on, e.g. /dev/ttyUSB0")
	usePTY := fs.Bool("pty", false, "create a pty and print the path the gateway should open")
	baud := fs.Int("baud", 9600, "line speed (a pty paces replies as this speed would)")
	addrs := fs.String("addr", "1", "PD addresses on the bus, comma-separated")
	script := fs.String("script", "", "file of steps to play (swipe, pin, tamper, power, input, fault, reboot, wait)")
	runFor := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	seed := fs.Uint64("seed", 1, "seed of the line-noise generator")
	verbose := fs.Bool("v", false, "log every reply")
	keyFlag := fs.String("key", "", `secure channel base key of every PD: "default" (install mode) or 32 hex digits; empty: no secure channel`)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gridsim osdp-pd (-port PATH | -pty) [-addr 1,2] [-script FILE]\n\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "gridsim osdp-pd: "+format+"\n", a...)
		return code
	}
	if len(pos) != 0 {
		return fail(exitUsage, "unexpected arguments %q", pos)
	}
	if (*port == "") == !*usePTY {
		return fail(exitUsage, "give exactly one of -port PATH and -pty")
	}
	pds, err := parsePDAddrs(*addrs)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if *keyFlag != "" {
		key, err := parseSCBK(*keyFlag)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		for i := range pds {
			pds[i].Key = &key
		}
	}
	steps, err := loadScript(*script, osdp.ParseScript)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	line, path, closeLine, err := openLine(*port, *baud)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	defer closeLine()
	cfg := osdp.BusConfig{Port: line, PDs: pds, Seed: *seed, Logger: newLogger(stderr, *verbose)}
	if *usePTY {
		cfg.Baud = *baud
	}
	bus, err := osdp.NewBus(cfg)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if *runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}
	fmt.Fprintf(stdout, "osdp-pd: PDs %s answering on %s\n", *addrs, path)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := bus.CheckScript(steps); err != nil {
		return fail(exitUsage, "%s: %v", *script, err)
	}
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

// parsePDAddrs reads "1,2,0x10".
func parsePDAddrs(s string) ([]osdp.Config, error) {
	var pds []osdp.Config
	for _, f := range strings.Split(s, ",") {
		a, err := strconv.ParseUint(strings.TrimSpace(f), 0, 8)
		if err != nil || a > 0x7E {
			return nil, fmt.Errorf("-addr: %q is not a PD address 0-126", f)
		}
		pds = append(pds, osdp.Config{Address: byte(a)})
	}
	return pds, nil
}

// parseSCBK reads -key: "default" or 32 hex digits.
func parseSCBK(s string) (sc.Key, error) {
	if s == "default" {
		return sc.DefaultSCBK(), nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return sc.Key{}, fmt.Errorf(`-key: want "default" or 32 hex digits, got %q`, s)
	}
	return sc.Key(b), nil
}
