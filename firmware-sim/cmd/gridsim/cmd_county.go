package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gridwatch/gridwatch/firmware-sim/county"
)

func cmdCounty(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("county", "county -broker tcp://n1:1883,tcp://n2:1883 [-sites 300] [-duration 2m] [-burst 100] [-watch nats1=PID,...] [-json]", stderr)
	countyID := fs.String("county", "sim", "county id in the topics")
	sites := fs.Int("sites", county.DefaultSites, "simulated gateways, one MQTT connection each")
	duration := fs.Duration("duration", county.DefaultDuration, "how long the sites publish")
	alarms := fs.Float64("alarms", county.DefaultAlarmsPerHour, "alarms raised per hour across the county (each walks raised→paged→delivered→ack→arrive→resolve)")
	presence := fs.Float64("presence", county.DefaultPresencePerHour, "device presence changes per hour across the county")
	summaryEvery := fs.Duration("summary-every", county.DefaultSummaryEvery, "each site's summary period")
	step := fs.Duration("step", county.DefaultStepEvery, "time between an alarm's lifecycle steps")
	burst := fs.Int("burst", county.DefaultBurstPresses, "presses in one second across as many sites (0: none)")
	burstAt := fs.Duration("burst-at", 0, "when the burst starts, after the sites are connected (default: half the duration)")
	drain := fs.Duration("drain", county.DefaultDrain, "after publishing stops, how long to wait for every acknowledged record to arrive")
	watch := fs.String("watch", "", "report CPU and memory of these processes too: name=pid,name=pid (Linux /proc)")
	seed := fs.Int64("seed", 1, "random seed (which sites, when)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "gridsim county: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	brokers := strings.Split(c.broker, ",")
	c.broker = brokers[0]
	dial, err1 := c.dial()
	procs, err2 := county.ParseProcs(*watch)
	for _, e := range []error{err1, err2} {
		if e != nil {
			fmt.Fprintf(stderr, "gridsim county: %v\n", e)
			return exitUsage
		}
	}
	sim, err := county.New(county.Config{
		Dial: dial, Brokers: brokers, County: *countyID, Sites: *sites, Duration: *duration,
		AlarmsPerHour: *alarms, PresencePerHour: *presence, SummaryEvery: *summaryEvery, StepEvery: *step,
		BurstPresses: *burst, BurstAt: *burstAt, Drain: *drain, Seed: *seed, Logger: c.logger(stderr),
	})
	if err != nil {
		fmt.Fprintf(stderr, "gridsim county: %v\n", err)
		return exitUsage
	}
	res, err := sim.Run(ctx, procs...)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim county: %v\n", err)
		if res == nil {
			return exitFail
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return exitFail
		}
	} else if err := res.WriteText(stdout); err != nil {
		return exitFail
	}
	if err := res.Check(); err != nil {
		fmt.Fprintf(stderr, "gridsim county: %v\n", err)
		return exitFail
	}
	return exitOK
}
