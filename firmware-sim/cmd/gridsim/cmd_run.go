package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/device"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("run", "run -registry R.yaml [-only id,id] [-ramp 5s] [-inject AFTER:DEVICE:FAULT,…]", stderr)
	regPath := fs.String("registry", "", "registry file (grids, staff, devices)")
	only := fs.String("only", "", "simulate only these device ids (comma separated)")
	ramp := fs.Duration("ramp", 5*time.Second, "spread the devices' connects over this long")
	inject := fs.String("inject", "", fmt.Sprintf("faults to rehearse, AFTER:DEVICE:FAULT comma separated (faults: %v), e.g. 30s:lb-0001:mains-lost", device.Faults))
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "gridsim run: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	reg, err := loadRegistry(*regPath)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim run: %v\n", err)
		return exitUsage
	}
	devs, err := pick(reg, *only)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim run: %v\n", err)
		return exitUsage
	}
	injections, err := parseInjections(*inject)
	if err == nil {
		for _, in := range injections {
			if !slices.ContainsFunc(devs, func(d *registry.Device) bool { return d.ID == in.device }) {
				err = fmt.Errorf("-inject: %s is not a simulated device", in.device)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gridsim run: %v\n", err)
		return exitUsage
	}
	dial, err := c.dial()
	if err != nil {
		fmt.Fprintf(stderr, "gridsim run: %v\n", err)
		return exitUsage
	}
	log := c.logger(stdout)
	fleet, err := device.NewFleet(device.Config{Dial: dial, Topics: c.topics(), Logger: log}, devs, *ramp)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim run: %v\n", err)
		return exitUsage
	}
	log.Info("simulating", "devices", len(devs), "of", len(reg.Devices()), "broker", c.broker, "root", c.root)
	var wg sync.WaitGroup
	injCtx, stopInj := context.WithCancel(ctx)
	wg.Go(func() { runInjections(injCtx, fleet, injections, log) })
	err = fleet.Run(ctx)
	stopInj()
	wg.Wait()
	if err != nil {
		fmt.Fprintf(stderr, "gridsim run: %v\n", err)
		return exitFail
	}
	return exitOK
}

// pick returns the MQTT devices of reg, or only those listed in only,
// each of which must exist and speak MQTT.
func pick(reg *registry.Registry, only string) ([]*registry.Device, error) {
	if only == "" {
		return device.MQTTDevices(reg), nil
	}
	var out []*registry.Device
	for _, id := range strings.Split(only, ",") {
		id = strings.TrimSpace(id)
		d, ok := reg.Device(id)
		switch {
		case !ok:
			return nil, fmt.Errorf("-only: device %q is not in the registry", id)
		case !device.TalksMQTT(d):
			return nil, fmt.Errorf("-only: device %s is wired to OSDP, Modbus or RTP, not simulated over MQTT", id)
		}
		out = append(out, d)
	}
	return out, nil
}
