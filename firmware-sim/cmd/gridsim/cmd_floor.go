package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gridwatch/gridwatch/internal/floor"
)

// cmdFloor runs the latency floor relay (internal/floor): the baseline
// `make bench` sets gridwatchd's figures against.
func cmdFloor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("floor", "floor -registry R.yaml -journal FILE [-embedded 127.0.0.1:1883 | -broker URL] [-ready FILE]", stderr)
	regPath := fs.String("registry", "", "registry file (who is paged for each light box: its cell's grid member, else the security room)")
	journal := fs.String("journal", "", "file to append one fsync'd line per press to")
	embedded := fs.String("embedded", "", "run an embedded broker (mochi-mqtt, as gridwatchd's) on this address instead of subscribing to -broker")
	ready := fs.String("ready", "", "create this file once presses are taken")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "gridsim floor: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	if c.username != "" || c.login != "shared" {
		fmt.Fprintln(stderr, "gridsim floor: logs in anonymously; leave out -username and -login")
		return exitUsage
	}
	reg, err := loadRegistry(*regPath)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim floor: %v\n", err)
		return exitUsage
	}
	cfg := floor.Config{Topics: c.topics(), Pages: floor.Recipients(reg), Journal: *journal, Logger: c.logger(stderr)}
	if *embedded != "" {
		cfg.Listen = *embedded
	} else {
		cfg.Broker = c.broker
	}
	r, err := floor.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim floor: %v\n", err)
		return exitUsage
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-r.Ready():
		fmt.Fprintf(stdout, "floor relay ready: %d light boxes\n", len(cfg.Pages))
		if *ready != "" {
			if err := os.WriteFile(*ready, nil, 0o600); err != nil {
				fmt.Fprintf(stderr, "gridsim floor: %v\n", err)
			}
		}
	case err := <-done:
		fmt.Fprintf(stderr, "gridsim floor: %v\n", err)
		return exitFail
	}
	if err := <-done; err != nil {
		fmt.Fprintf(stderr, "gridsim floor: %v\n", err)
		return exitFail
	}
	return exitOK
}
