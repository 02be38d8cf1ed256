package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gridwatch/gridwatch/firmware-sim/phone"
	"github.com/gridwatch/gridwatch/gateway/event"
)

func cmdPhone(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("phone", "phone STAFF [-ack] [-ack-after 3s] [-arrive-after D] [-resolve-after D]", stderr)
	ack := fs.Bool("ack", false, "acknowledge every alarm")
	ackAfter := fs.Duration("ack-after", 0, "acknowledge this long after the first notification (implies -ack)")
	arriveAfter := fs.Duration("arrive-after", 0, "report arrival on scene this long after the first notification")
	resolveAfter := fs.Duration("resolve-after", 0, "resolve this long after the first notification")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "gridsim phone: name exactly one staff member, e.g. gridsim phone wang")
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var plan []phone.Planned
	if *ack || set["ack-after"] {
		plan = append(plan, phone.Planned{Action: event.Ack, After: *ackAfter})
	}
	if set["arrive-after"] {
		plan = append(plan, phone.Planned{Action: event.Arrive, After: *arriveAfter})
	}
	if set["resolve-after"] {
		plan = append(plan, phone.Planned{Action: event.Resolve, After: *resolveAfter})
	}
	dial, err := c.dial()
	if err != nil {
		fmt.Fprintf(stderr, "gridsim phone: %v\n", err)
		return exitUsage
	}
	log := c.logger(stderr)
	p, err := phone.New(phone.Config{
		Dial: dial.As(pos[0]), Topics: c.topics(), Staff: pos[0], Out: stdout, Replies: plan, Logger: log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "gridsim phone: %v\n", err)
		return exitUsage
	}
	if err := p.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "gridsim phone: %v\n", err)
		return exitFail
	}
	return exitOK
}
