package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gridwatch/gridwatch/firmware-sim/loadgen"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("bench", "bench -registry R.yaml [-presses 10/s] [-background 5000/s] [-devices 200] [-duration 30s] [-no-alarms] [-json]", stderr)
	regPath := fs.String("registry", "", "registry file (light boxes to press, staff to page)")
	presses := fs.String("presses", "10/s", "panic presses per second (N/s, N/m)")
	background := fs.String("background", "5000/s", "background telemetry messages per second, QoS 0")
	devices := fs.Int("devices", loadgen.DefaultDevices, "spread background telemetry over this many devices")
	publishers := fs.Int("publishers", loadgen.DefaultPublishers, "background publisher clients")
	duration := fs.Duration("duration", loadgen.DefaultDuration, "how long to press and publish")
	lostAfter := fs.Duration("lost-after", loadgen.DefaultLostAfter, "a press not paged within this is lost")
	noAlarms := fs.Bool("no-alarms", false, "the broker's far end keeps no alarms (gridsim floor): press a box again once paged, wait for no close")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "gridsim bench: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	pr, err1 := loadgen.ParseRate(*presses)
	bg, err2 := loadgen.ParseRate(*background)
	reg, err3 := loadRegistry(*regPath)
	dial, err4 := c.sharedDial("bench")
	for _, e := range []error{err1, err2, err3, err4} {
		if e != nil {
			fmt.Fprintf(stderr, "gridsim bench: %v\n", e)
			return exitUsage
		}
	}
	b, err := loadgen.New(loadgen.Config{
		Dial: dial, Topics: c.topics(), Registry: reg, PressRate: pr, BackgroundRate: bg,
		Devices: *devices, Publishers: *publishers, Duration: *duration, LostAfter: *lostAfter, NoAlarms: *noAlarms,
		Logger: c.logger(stderr),
	})
	if err != nil {
		fmt.Fprintf(stderr, "gridsim bench: %v\n", err)
		return exitUsage
	}
	res, err := b.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim bench: %v\n", err)
		return exitFail
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return exitFail
		}
		return exitOK
	}
	if err := res.WriteText(stdout); err != nil {
		return exitFail
	}
	return exitOK
}
