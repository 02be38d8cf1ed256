package osdp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
)

// handshake is a PD's state between CHLNG and SCRYPT.
type handshake struct {
	keys       sc.Keys
	rndA, rndB sc.Random
}

// cUID is the PD's 8-byte client id in CCRYPT: vendor, model, serial.
func (p *PD) cUID() [8]byte {
	var u [8]byte
	copy(u[:3], p.id.VendorOUI[:])
	u[3] = p.id.Model
	binary.LittleEndian.PutUint32(u[4:], p.id.Serial)
	return u
}

// secure answers a command that carries a security block, or any command
// while a session is up. Any failure drops the session and NAKs 6; a PD
// without a key NAKs 5. The caller holds p.mu.
func (p *PD) secure(f wire.Frame, raw []byte, base wire.Frame) []byte {
	nak := func(code byte) []byte {
		if code == wire.NakSecurity {
			p.hs, p.sess = nil, nil
		}
		fr := base
		fr.Code, fr.Data = wire.ReplyNAK, []byte{code}
		return encodeReply(fr)
	}
	if p.key == nil {
		return nak(wire.NakSCBUnsupp)
	}
	if len(f.SCB) < 2 {
		return nak(wire.NakSecurity) // clear text inside a session
	}
	switch typ := f.SCB[1]; {
	case typ == wire.SCBChallenge && f.Code == wire.CmdCHLNG && len(f.Data) == 8 && len(f.SCB) == 3:
		hs := &handshake{rndA: sc.Random(f.Data)}
		binary.LittleEndian.PutUint64(hs.rndB[:], p.rng.Uint64())
		hs.keys = sc.DeriveKeys(*p.key, hs.rndA)
		p.hs, p.sess = hs, nil
		uid, cc := p.cUID(), hs.keys.ClientCryptogram(hs.rndA, hs.rndB)
		fr := base
		fr.SCB = []byte{3, wire.SCBCCrypt, f.SCB[2]}
		fr.Code = wire.ReplyCCRYPT
		fr.Data = append(append(uid[:], hs.rndB[:]...), cc[:]...)
		return encodeReply(fr)
	case typ == wire.SCBSCrypt && f.Code == wire.CmdSCRYPT && p.hs != nil && len(f.Data) == 16 && len(f.SCB) == 3:
		hs := p.hs
		want := hs.keys.ServerCryptogram(hs.rndA, hs.rndB)
		if !sc.VerifyCryptogram(f.Data, want[:]) {
			return nak(wire.NakSecurity)
		}
		rmacI := hs.keys.InitialRMAC(want)
		p.hs, p.sess = nil, sc.NewSession(hs.keys, rmacI)
		fr := base
		fr.SCB = []byte{3, wire.SCBRMACI, f.SCB[2]}
		fr.Code, fr.Data = wire.ReplyRMACI, rmacI[:]
		return encodeReply(fr)
	case (typ == wire.SCBCmdMAC || typ == wire.SCBCmdEnc) && p.sess != nil:
		iv := p.sess.CommandIV()
		if err := p.sess.OpenCommand(wire.MACInput(raw, f), f.MAC); err != nil {
			return nak(wire.NakSecurity)
		}
		cmd := f
		cmd.SCB, cmd.MAC = nil, nil
		if typ == wire.SCBCmdEnc {
			data, err := p.sess.Decrypt(iv, f.Data)
			if err != nil {
				return nak(wire.NakSecurity)
			}
			cmd.Data = data
		}
		var code byte
		var data []byte
		if cmd.Code == wire.CmdKEYSET {
			code, data = p.keyset(cmd.Data)
		} else {
			code, data = p.execute(cmd)
		}
		fr := base
		fr.Code, fr.SCB = code, []byte{2, wire.SCBReplyMAC}
		if len(data) > 0 {
			fr.SCB[1], fr.Data = wire.SCBReplyEnc, p.sess.Encrypt(p.sess.ReplyIV(), data)
		}
		b, err := fr.EncodeSealed(true, p.sess.SealReply)
		if err != nil {
			return nak(wire.NakUnprocessed)
		}
		return b
	}
	return nak(wire.NakSecurity)
}

// keyset stores a new SCBK received inside the secure channel: the current
// session goes on under its session keys, the next handshake uses the new
// key (and the PD has left install mode). The caller holds p.mu.
func (p *PD) keyset(data []byte) (byte, []byte) {
	ks, err := wire.DecodeKeySet(data)
	if err != nil || ks.Type != wire.KeyTypeSCBK {
		return wire.ReplyNAK, []byte{wire.NakUnprocessed}
	}
	k := sc.Key(ks.Key)
	p.key = &k
	p.keyChanges++
	sum := sha256.Sum256(k[:])
	p.log.Info("osdp sim: PD key changed by KEYSET", "pd", p.addr, "key_fingerprint", hex.EncodeToString(sum[:8]))
	return wire.ReplyACK, nil
}
