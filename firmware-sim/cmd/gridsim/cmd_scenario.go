package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gridwatch/gridwatch/firmware-sim/scenario"
)

func cmdScenario(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("scenario", "scenario FILE.yaml [-registry R.yaml] [-api URL -token T | -user U -password-http P | -by STAFF]", stderr)
	regPath := fs.String("registry", "", "optional: check the scenario's devices and phones against this registry first")
	af := addAPIFlags(fs) // for broadcast steps
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "gridsim scenario: name exactly one scenario file")
		return exitUsage
	}
	script, err := scenario.Load(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "gridsim scenario: %v\n", err)
		return exitUsage
	}
	if *regPath != "" {
		reg, err := loadRegistry(*regPath)
		if err == nil {
			err = script.Check(reg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "gridsim scenario: %v\n", err)
			return exitUsage
		}
	}
	dial, err := c.dial()
	if err != nil {
		fmt.Fprintf(stderr, "gridsim scenario: %v\n", err)
		return exitUsage
	}
	cfg := scenario.Config{Dial: dial, Topics: c.topics(), Out: stdout, Logger: c.logger(stderr)}
	if script.Broadcasts() {
		api, err := af.client(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "gridsim scenario: %v\n", err)
			if errors.Is(err, errLogin) {
				return exitFail
			}
			return exitUsage
		}
		cfg.Broadcaster = api
	}
	r, err := scenario.NewRunner(cfg, script)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim scenario: %v\n", err)
		return exitUsage
	}
	if err := r.Run(ctx); err != nil {
		var failed *scenario.Failed
		if !errors.As(err, &failed) {
			err = fmt.Errorf("gridsim scenario: %w", err)
		}
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	return exitOK
}
