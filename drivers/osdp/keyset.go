package osdp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// ReaderRekeyed is a reader moved off the install-mode key SCBK-D onto its
// configured SCBK with KEYSET: data {key_fingerprint, from: "scbk-d"}. The
// key itself is never reported or logged.
const ReaderRekeyed = event.ReaderRekeyed

// keyFingerprint names a key without revealing it: the first 8 bytes of
// its SHA-256, in hex.
func keyFingerprint(k sc.Key) string {
	sum := sha256.Sum256(k[:])
	return hex.EncodeToString(sum[:8])
}

// provision moves p from SCBK-D to its configured key after the configured
// key failed with keyErr: a handshake with SCBK-D, KEYSET with the new key
// inside that secure channel, then a handshake with the new key. Any
// failure is returned as an errSecure (a tamper alarm), never as a
// fallback to SCBK-D or to clear text.
func (b *Bus) provision(ctx context.Context, ln *line, p *pd, retries int, keyErr error) error {
	fp := keyFingerprint(*p.key)
	if err := b.handshake(ctx, ln, p, sc.DefaultSCBK(), 0, retries); err != nil {
		if errors.Is(err, errSecure) {
			return fmt.Errorf("%w; install-mode key SCBK-D refused too: %v", keyErr, err)
		}
		return err
	}
	b.log.Warn("osdp: PD is in install mode (SCBK-D); provisioning its key", "device", p.cfg.Device, "key_fingerprint", fp)
	data := wire.KeySet{Type: wire.KeyTypeSCBK, Key: p.key[:]}.Append(nil)
	reply, err := b.transact(ctx, ln, p, wire.Frame{Code: wire.CmdKEYSET, Data: data}, retries)
	if err != nil {
		return err
	}
	if reply.Code != wire.ReplyACK {
		return fmt.Errorf("%w: KEYSET answered with %s %X", errSecure, wire.CodeName(reply.Code, true), reply.Data)
	}
	if err := b.handshake(ctx, ln, p, *p.key, p.keyNo, retries); err != nil {
		if errors.Is(err, errSecure) {
			return fmt.Errorf("%w (after KEYSET was acknowledged)", err)
		}
		return err
	}
	b.log.Info("osdp: PD moved off SCBK-D onto its configured key", "device", p.cfg.Device, "key_fingerprint", fp)
	b.emit(p, ReaderRekeyed, map[string]any{"key_fingerprint": fp, "from": "scbk-d"})
	return nil
}
