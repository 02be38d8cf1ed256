package osdp

import (
	"errors"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
)

// nextSQN is the sequence number that follows s: 1→2→3→1, never 0.
func nextSQN(s byte) byte { return s%3 + 1 }

// respond returns the bytes the PD puts on the line for command f (mark byte
// first), or nil when it stays silent.
func (p *PD) respond(f wire.Frame, raw []byte, replyAddr byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[f.Code]++
	if p.faults.Silent {
		return nil
	}
	base := wire.Frame{Addr: replyAddr, Reply: true, SQN: f.SQN, CRC: f.CRC}
	reply := func(code byte, data []byte) []byte {
		fr := base
		fr.Code, fr.Data = code, data
		return encodeReply(fr)
	}
	switch {
	case f.SQN == 0:
		p.link = linkState{active: true}
		p.hs, p.sess = nil, nil // SQN 0 tears the secure channel down
	case !p.link.active:
		return reply(wire.ReplyNAK, []byte{wire.NakSQN})
	case f.SQN == p.link.lastSQN && p.link.lastReply != nil:
		return p.link.lastReply // a retransmission: the same bytes again
	case f.SQN != nextSQN(p.link.lastSQN):
		return reply(wire.ReplyNAK, []byte{wire.NakSQN})
	}
	var b []byte
	if (f.SCB != nil || p.sess != nil) && !(p.faults.ClearText && p.sess != nil) {
		b = p.secure(f, raw, base)
	} else {
		f.SCB, f.MAC = nil, nil
		b = reply(p.execute(f))
	}
	p.link.lastSQN, p.link.lastReply = f.SQN, b
	return b
}

// encodeReply encodes a reply with its mark byte; one too large to send
// becomes NAK 9 rather than garbage on the line.
func encodeReply(fr wire.Frame) []byte {
	b, err := fr.Encode(true)
	if err != nil {
		fr.SCB, fr.MAC, fr.Code, fr.Data = nil, nil, wire.ReplyNAK, []byte{wire.NakUnprocessed}
		b, _ = fr.Encode(true)
	}
	return b
}

var errPayload = errors.New("bad payload")

// execute carries out a command; the caller holds p.mu.
func (p *PD) execute(f wire.Frame) (byte, []byte) {
	nak := func(code byte) (byte, []byte) { return wire.ReplyNAK, []byte{code} }
	switch f.Code {
	case wire.CmdPOLL:
		if len(p.queue) > 0 {
			ev := p.queue[0]
			p.queue = p.queue[1:]
			return ev.code, ev.data
		}
		return wire.ReplyACK, nil
	case wire.CmdID:
		if len(f.Data) != 1 {
			return nak(wire.NakLength)
		}
		return wire.ReplyPDID, p.id.Append(nil)
	case wire.CmdCAP:
		if len(f.Data) != 1 {
			return nak(wire.NakLength)
		}
		return wire.ReplyPDCAP, wire.AppendPDCAP(nil, p.capabilities())
	case wire.CmdLSTAT:
		return wire.ReplyLSTATR, wire.LocalStatus{Tamper: p.tamper, PowerFailure: p.power}.Append(nil)
	case wire.CmdISTAT:
		return wire.ReplyISTATR, wire.AppendPoints(nil, p.inputs)
	case wire.CmdOSTAT:
		return wire.ReplyOSTATR, wire.AppendPoints(nil, p.outputs)
	case wire.CmdOUT:
		recs, err := wire.DecodeOutputs(f.Data)
		if err == nil {
			err = p.applyOutputs(recs)
		}
		if err != nil {
			return nak(wire.NakUnprocessed)
		}
		return wire.ReplyOSTATR, wire.AppendPoints(nil, p.outputs)
	case wire.CmdLED:
		recs, err := wire.DecodeLEDs(f.Data)
		if err != nil {
			return nak(wire.NakUnprocessed)
		}
		p.leds = append(p.leds, recs...)
		return wire.ReplyACK, nil
	case wire.CmdBUZ:
		z, err := wire.DecodeBuzzer(f.Data)
		if err != nil {
			return nak(wire.NakLength)
		}
		p.buzzes = append(p.buzzes, z)
		return wire.ReplyACK, nil
	case wire.CmdKEYSET:
		return nak(wire.NakSecurity) // only inside a secure channel
	case wire.CmdCOMSET:
		c, err := wire.DecodeComSettings(f.Data)
		if err != nil {
			return nak(wire.NakUnprocessed)
		}
		return wire.ReplyCOM, c.Append(nil)
	}
	return nak(wire.NakUnknown)
}

func (p *PD) applyOutputs(recs []wire.OutputControl) error {
	for _, r := range recs {
		if int(r.Output) >= len(p.outputs) {
			return errPayload
		}
	}
	for _, r := range recs {
		switch r.Code {
		case wire.OutOnAbort, wire.OutOnAfter:
			p.outputs[r.Output] = true
		case wire.OutOffAbort, wire.OutOffAfter:
			p.outputs[r.Output] = false
		} // pulses leave the permanent state alone; OutCmds records them
		p.outs = append(p.outs, r)
	}
	return nil
}
