package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gridwatch/gridwatch/firmware-sim/device"
)

func cmdPress(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("press", "press DEVICE [-type button.pressed] [-data '{\"k\":\"v\"}']", stderr)
	typ := fs.String("type", "button.pressed", "event type")
	data := fs.String("data", "", "event data, a JSON object")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "gridsim press: name exactly one device, e.g. gridsim press lb-0001")
		return exitUsage
	}
	var d map[string]any
	if *data != "" {
		if err := json.Unmarshal([]byte(*data), &d); err != nil || d == nil {
			fmt.Fprintf(stderr, "gridsim press: -data must be a JSON object like '{\"reason\":\"test\"}': %q\n", *data)
			return exitUsage
		}
	}
	dial, err := c.dial()
	if err != nil {
		fmt.Fprintf(stderr, "gridsim press: %v\n", err)
		return exitUsage
	}
	p, err := device.Press(ctx, device.PressRequest{Dial: dial, Topics: c.topics(), Device: pos[0], Type: *typ, Data: d})
	if err != nil {
		fmt.Fprintf(stderr, "gridsim press: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s %s seq=%d ts=%d acked in %v\n", pos[0], p.Msg.Type, p.Msg.Seq, p.Msg.TS, p.Elapsed)
	return exitOK
}
