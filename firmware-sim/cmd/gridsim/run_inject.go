package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/device"
)

// injection is one fault `gridsim run -inject` applies to a device.
type injection struct {
	after  time.Duration
	device string
	fault  device.Fault
}

// parseInjections reads AFTER:DEVICE:FAULT[,…], e.g.
// "30s:lb-0001:mains-lost,90s:lb-0001:mains-restored".
func parseInjections(s string) ([]injection, error) {
	var out []injection
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("-inject %q: want AFTER:DEVICE:FAULT, e.g. 30s:lb-0001:mains-lost", item)
		}
		after, err := time.ParseDuration(parts[0])
		if err != nil || after < 0 {
			return nil, fmt.Errorf("-inject %q: %q is not a duration such as 30s", item, parts[0])
		}
		f, err := device.ParseFault(parts[2])
		if err != nil {
			return nil, fmt.Errorf("-inject %q: %w", item, err)
		}
		out = append(out, injection{after: after, device: parts[1], fault: f})
	}
	slices.SortStableFunc(out, func(a, b injection) int { return int(a.after - b.after) })
	return out, nil
}

// runInjections applies the injections in order, each at its time after
// the start (or once its device is connected, if later), until ctx ends.
func runInjections(ctx context.Context, fleet *device.Fleet, list []injection, log *slog.Logger) {
	start := time.Now()
	for _, in := range list {
		d, _ := fleet.Device(in.device)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(in.after))):
		}
		select {
		case <-ctx.Done():
			return
		case <-d.Ready():
		}
		if err := d.Inject(ctx, in.fault); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("injection failed", "device", in.device, "fault", in.fault, "err", err)
			continue
		}
		log.Info("injected", "device", in.device, "fault", in.fault)
	}
}
