package device

import (
	"context"
	"encoding/json"
	"fmt"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
)

// describe says what a simulated light box does for cmd, and whether it
// can do it at all; anything else is answered with ok=false.
func describe(cmd string) (string, bool) {
	switch cmd {
	case "strobe":
		return "flashes its strobe", true
	case "siren":
		return "sounds its siren", true
	case "speak", "broadcast":
		return "speaks", true
	case "light":
		return "switches its light", true
	case "silence":
		return "goes quiet", true
	case "intercom":
		return "opens the intercom", true
	case "reboot":
		return "reboots", true
	case "ping":
		return "answers", true
	}
	return "", false
}

// Supported reports whether a simulated device accepts cmd.
func Supported(cmd string) bool {
	_, ok := describe(cmd)
	return ok
}

// decodeCommand checks one command payload. It returns the command and,
// when the command cannot be carried out, why (the ack's error text).
func decodeCommand(payload []byte) (wire.CommandMsg, string) {
	var c wire.CommandMsg
	if err := json.Unmarshal(payload, &c); err != nil {
		// Try to recover the cid so the gateway still hears a "no".
		var probe struct {
			CID string `json:"cid"`
		}
		_ = json.Unmarshal(payload, &probe)
		return wire.CommandMsg{CID: probe.CID}, fmt.Sprintf("malformed command: %v", err)
	}
	switch {
	case c.CID == "":
		return c, "command without cid"
	case c.Cmd == "":
		return c, "command without cmd"
	case !Supported(c.Cmd):
		return c, fmt.Sprintf("unknown command %q", c.Cmd)
	}
	return c, ""
}

// answer carries out (prints) one command and publishes its ack.
func (d *Device) answer(ctx context.Context, m paho.Message) {
	c, problem := decodeCommand(m.Payload())
	if c.CID == "" {
		d.log.Warn("command ignored: no cid to answer", "problem", problem, "payload", string(m.Payload()))
		return
	}
	ack := wire.CommandAckMsg{CID: c.CID, OK: problem == "", Error: problem}
	if ack.OK {
		does, _ := describe(c.Cmd)
		d.log.Info("command", "cid", c.CID, "cmd", c.Cmd, "args", c.Args, "does", does)
	} else {
		d.log.Warn("command refused", "cid", c.CID, "cmd", c.Cmd, "error", problem)
	}
	b, err := json.Marshal(ack)
	if err != nil {
		d.log.Error("encode ack", "err", err)
		return
	}
	if err := d.cfg.Dial.Publish(ctx, d.client, d.cfg.Topics.CommandAck(d.id), 1, false, b); err != nil && ctx.Err() == nil {
		d.log.Warn("ack not sent", "cid", c.CID, "err", err)
	}
}
