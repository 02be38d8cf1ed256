package osdp

import (
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Event types this driver adds to the well-known ones of gateway/event.
const (
	// CardRead is a card presented at a reader: data {card, facility, bits,
	// format, reader}; a card of no known format carries {raw, bits, format:
	// "raw"} instead. Access decisions are made from it further on.
	CardRead = "card.read"
	// KeypadPIN is keys typed on a reader: data {pin, reader}.
	KeypadPIN = "keypad.pin"
)

// reasonBadCard counts card reads that fail their Wiegand parity or layout.
const reasonBadCard = "bad_card"

// handle turns one reply into PD state and events.
func (b *Bus) handle(p *pd, f wire.Frame) {
	var err error
	switch f.Code {
	case wire.ReplyACK:
	case wire.ReplyPDID:
		var id wire.PDID
		if id, err = wire.DecodePDID(f.Data); err == nil {
			p.id = &id
		}
	case wire.ReplyPDCAP:
		p.caps, err = wire.DecodePDCAP(f.Data)
	case wire.ReplyLSTATR:
		var st wire.LocalStatus
		if st, err = wire.DecodeLocalStatus(f.Data); err == nil {
			b.localStatus(p, st)
		}
	case wire.ReplyISTATR:
		if p.inputs, err = wire.DecodePoints(f.Data); err == nil && p.door != nil {
			b.doorInputs(p)
		}
	case wire.ReplyOSTATR:
		p.outputs, err = wire.DecodePoints(f.Data)
	case wire.ReplyRAW:
		var c wire.RawCard
		if c, err = wire.DecodeRawCard(f.Data); err == nil {
			err = b.card(p, c)
		}
	case wire.ReplyKEYPAD:
		var k wire.Keypad
		if k, err = wire.DecodeKeypad(f.Data); err == nil {
			b.emit(p, KeypadPIN, map[string]any{"pin": k.Keys, "reader": int(k.Reader)})
		}
	case wire.ReplyNAK:
		b.log.Warn("osdp: PD refused a command", "device", p.cfg.Device, "nak", f.Data)
	default:
		b.log.Debug("osdp: reply ignored", "device", p.cfg.Device, "code", wire.CodeName(f.Code, true))
	}
	if err != nil {
		reason := string(event.BadType)
		if errors.Is(err, wiegand.ErrParity) || f.Code == wire.ReplyRAW {
			reason = reasonBadCard
		}
		b.m.Rejected.WithLabelValues(reason).Inc()
		b.log.Warn("osdp: bad reply payload", "device", p.cfg.Device, "code", wire.CodeName(f.Code, true), "err", err)
	}
}

// localStatus reports tamper and mains changes. The first report after
// the gateway starts gives both conditions as they are, either way (data
// first_read: true), so a tamper opened while the gateway was down raises
// its alarm and one closed meanwhile clears the alarm left open before the
// restart (a clearing event with no alarm open changes nothing). Later
// reports, reconnects included, give the changes.
func (b *Bus) localStatus(p *pd, st wire.LocalStatus) {
	if p.tamper == nil || p.power == nil {
		b.emit(p, pick(st.Tamper, event.TamperOpen, event.TamperClosed), map[string]any{"first_read": true})
		b.emit(p, pick(st.PowerFailure, event.PowerMainsLost, event.PowerMainsRestored), map[string]any{"first_read": true})
		p.tamper, p.power = &st.Tamper, &st.PowerFailure
		return
	}
	if *p.tamper != st.Tamper {
		b.emit(p, pick(st.Tamper, event.TamperOpen, event.TamperClosed), nil)
	}
	if *p.power != st.PowerFailure {
		b.emit(p, pick(st.PowerFailure, event.PowerMainsLost, event.PowerMainsRestored), nil)
	}
	p.tamper, p.power = &st.Tamper, &st.PowerFailure
}

func pick(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}

// card decodes a RAW read with the PD's configured format (or one chosen by
// bit count) and reports it. A read of format code 0 ("not specified") is
// taken as Wiegand too: libosdp and many readers send their Wiegand reads
// that way, and a 26- or 34-bit frame is one in practice. A reader's configured
// format applies to every read; without one, other bit counts are reported
// raw and decide nothing.
func (b *Bus) card(p *pd, c wire.RawCard) error {
	format := p.format
	if format == "" && (c.Format == wire.FormatWiegand || c.Format == wire.FormatRaw) {
		switch c.Bits {
		case 26:
			format = wiegand.H10301
		case 34:
			format = wiegand.H10306
		}
	}
	if format == "" {
		return b.rawCard(p, c)
	}
	cred, err := wiegand.Decode(format, c.Data, int(c.Bits))
	if err != nil && p.format == "" && c.Format == wire.FormatRaw {
		// Bits of no stated format that are not Wiegand after all.
		return b.rawCard(p, c)
	}
	if err != nil {
		return err
	}
	card := Card{Facility: int(cred.Facility), Number: strconv.FormatUint(uint64(cred.Card), 10), Format: string(format)}
	b.emit(p, CardRead, map[string]any{"card": card.Number, "facility": card.Facility, "bits": int(c.Bits),
		"format": card.Format, "reader": int(c.Reader)})
	b.decide(p, card)
	return nil
}

// rawCard reports a read of no known layout: its bits, in hex.
func (b *Bus) rawCard(p *pd, c wire.RawCard) error {
	b.emit(p, CardRead, map[string]any{"raw": hex.EncodeToString(c.Data), "bits": int(c.Bits),
		"format": "raw", "reader": int(c.Reader)})
	return nil
}
