package osdp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// errSecure is a secure-channel failure: a failed handshake, a bad MAC, or
// a secure reader answering in clear text. It raises a tamper alarm and is
// never answered by falling back to clear text.
var errSecure = errors.New("secure channel failed")

// parseKey reads a PD's key setting: "" (no secure channel), "default"
// (SCBK-D, install mode) or 32 hex digits. It returns the key and the key
// number the handshake's security blocks carry (0 = SCBK-D, 1 = SCBK).
func parseKey(s string) (*sc.Key, byte, error) {
	switch strings.ToLower(s) {
	case "":
		return nil, 0, nil
	case "default":
		k := sc.DefaultSCBK()
		return &k, 0, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return nil, 0, fmt.Errorf("key must be \"default\" or 32 hex digits (AES-128), got %d characters", len(s))
	}
	k := sc.Key(b)
	return &k, 1, nil
}

// secureCapable checks, for a PD with a key, that its PDCAP reply offers
// the secure channel: function 9 (communication security) with compliance
// bit 0 (AES-128). A reader without it is refused before any handshake, as
// a control panel enforcing the secure channel does, with a reason that
// says so rather than a NAK to a challenge.
func secureCapable(caps []wire.Capability) error {
	for _, c := range caps {
		if c.Function == wire.CapCommSecurity {
			if c.Compliance&wire.CommSecurityAES128 == 0 {
				return fmt.Errorf("%w: the reader has a key configured but reports no AES-128 secure channel (PDCAP function 9, compliance 0x%02X)",
					errSecure, c.Compliance)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: the reader has a key configured but reports no secure channel capability (no PDCAP function 9 among %d)",
		errSecure, len(caps))
}

// handshake runs CHLNG/CCRYPT/SCRYPT/RMAC_I with p under base key (key
// number keyNo: 0 = SCBK-D, 1 = SCBK) and starts its session.
func (b *Bus) handshake(ctx context.Context, ln *line, p *pd, key sc.Key, keyNo byte, retries int) error {
	p.sess = nil // the handshake itself travels in clear
	var rndA sc.Random
	if _, err := io.ReadFull(b.rand, rndA[:]); err != nil {
		return fmt.Errorf("osdp: challenge for %s: %w", p.cfg.Device, err)
	}
	keys := sc.DeriveKeys(key, rndA)
	reply, err := b.transact(ctx, ln, p, wire.Frame{Code: wire.CmdCHLNG, SCB: []byte{3, wire.SCBChallenge, keyNo}, Data: rndA[:]}, retries)
	if err != nil {
		return err
	}
	if reply.Code != wire.ReplyCCRYPT || len(reply.SCB) < 2 || reply.SCB[1] != wire.SCBCCrypt || len(reply.Data) != 32 {
		return fmt.Errorf("%w: CHLNG answered with %s %X", errSecure, wire.CodeName(reply.Code, true), reply.Data)
	}
	rndB := sc.Random(reply.Data[8:16])
	want := keys.ClientCryptogram(rndA, rndB)
	if !sc.VerifyCryptogram(reply.Data[16:32], want[:]) {
		return fmt.Errorf("%w: client cryptogram does not match (wrong key?)", errSecure)
	}
	scrypt := keys.ServerCryptogram(rndA, rndB)
	reply, err = b.transact(ctx, ln, p, wire.Frame{Code: wire.CmdSCRYPT, SCB: []byte{3, wire.SCBSCrypt, keyNo}, Data: scrypt[:]}, retries)
	if err != nil {
		return err
	}
	rmacI := keys.InitialRMAC(scrypt)
	if reply.Code != wire.ReplyRMACI || len(reply.SCB) < 2 || reply.SCB[1] != wire.SCBRMACI || !sc.VerifyCryptogram(reply.Data, rmacI[:]) {
		return fmt.Errorf("%w: SCRYPT answered with %s, not the expected RMAC_I", errSecure, wire.CodeName(reply.Code, true))
	}
	p.sess = sc.NewSession(keys, rmacI)
	return nil
}

// unseal checks a reply inside a session and returns it in clear.
func unseal(sess *sc.Session, f wire.Frame, raw []byte) (wire.Frame, error) {
	switch {
	case len(f.SCB) == 0:
		return wire.Frame{}, fmt.Errorf("%w: %s reply in clear text", errSecure, wire.CodeName(f.Code, true))
	case len(f.SCB) < 2:
		return wire.Frame{}, fmt.Errorf("%w: %s reply with a %d-byte security block and no type", errSecure, wire.CodeName(f.Code, true), len(f.SCB))
	case f.SCB[1] != wire.SCBReplyMAC && f.SCB[1] != wire.SCBReplyEnc:
		return wire.Frame{}, fmt.Errorf("%w: %s reply with security block %s, want SCS_16 or SCS_18 inside a session",
			errSecure, wire.CodeName(f.Code, true), wire.SCBName(f.SCB[1]))
	}
	if err := sess.OpenReply(wire.MACInput(raw, f), f.MAC); err != nil {
		return wire.Frame{}, fmt.Errorf("%w: %s reply: %v", errSecure, wire.CodeName(f.Code, true), err)
	}
	if f.SCB[1] == wire.SCBReplyEnc {
		data, err := sess.Decrypt(sess.ReplyIV(), f.Data)
		if err != nil {
			return wire.Frame{}, fmt.Errorf("%w: %s reply: %v", errSecure, wire.CodeName(f.Code, true), err)
		}
		f.Data = data
	}
	f.SCB, f.MAC = nil, nil
	return f, nil
}

// secureFailed raises the tamper alarm for a secure channel failure (once
// per failure streak) and takes the PD offline until a re-probe.
func (b *Bus) secureFailed(p *pd, err error) {
	p.sess = nil
	if !p.scAlarm {
		p.scAlarm = true
		b.log.Error("osdp: secure channel failed", "device", p.cfg.Device, "err", err)
		b.emit(p, event.TamperOpen, map[string]any{"reason": "secure_channel", "detail": err.Error()})
	}
	b.offline(p, err.Error())
}
