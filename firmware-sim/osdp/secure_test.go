package osdp

import (
	"testing"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
)

// TestSecureHandshakeRefusals: the PD answers CHLNG with a cryptogram the
// CP can check, refuses a wrong server cryptogram and clear text inside a
// session with NAK 6, and NAKs 5 without a key.
func TestSecureHandshakeRefusals(t *testing.T) {
	key := sc.DefaultSCBK()
	pd, _ := newPD(Config{Address: 1, Key: &key})
	rndA := sc.Random{0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7}
	chlng := func(sqn byte) wire.Frame {
		return wire.Frame{Addr: 1, SQN: sqn, CRC: true, SCB: []byte{3, wire.SCBChallenge, 0}, Code: wire.CmdCHLNG, Data: rndA[:]}
	}
	scrypt := func(sqn byte, c sc.Key) wire.Frame {
		return wire.Frame{Addr: 1, SQN: sqn, CRC: true, SCB: []byte{3, wire.SCBSCrypt, 0}, Code: wire.CmdSCRYPT, Data: c[:]}
	}
	f := decodeReply(t, pd.respond(chlng(0), nil, 1))
	if f.Code != wire.ReplyCCRYPT || len(f.Data) != 32 || f.SCB[1] != wire.SCBCCrypt {
		t.Fatalf("CHLNG: %+v", f)
	}
	keys := sc.DeriveKeys(key, rndA)
	rndB := sc.Random(f.Data[8:16])
	if want := keys.ClientCryptogram(rndA, rndB); !sc.VerifyCryptogram(f.Data[16:], want[:]) {
		t.Fatal("client cryptogram does not check")
	}
	if f := decodeReply(t, pd.respond(scrypt(1, sc.Key{}), nil, 1)); f.Code != wire.ReplyNAK || f.Data[0] != wire.NakSecurity {
		t.Fatalf("wrong server cryptogram: %+v", f)
	}
	decodeReply(t, pd.respond(chlng(2), nil, 1))
	f = decodeReply(t, pd.respond(chlng(3), nil, 1)) // a fresh challenge, a fresh RND.B
	rndB = sc.Random(f.Data[8:16])
	good := keys.ServerCryptogram(rndA, rndB)
	f = decodeReply(t, pd.respond(scrypt(1, good), nil, 1))
	if rmacI := keys.InitialRMAC(good); f.Code != wire.ReplyRMACI || !sc.VerifyCryptogram(f.Data, rmacI[:]) || !pd.Observed().Secure {
		t.Fatalf("SCRYPT: %+v", f)
	}
	if f := decodeReply(t, pd.respond(cmd(1, 2, wire.CmdPOLL), nil, 1)); f.Code != wire.ReplyNAK || f.Data[0] != wire.NakSecurity || pd.Observed().Secure {
		t.Fatalf("clear POLL inside a session: %+v, secure %v", f, pd.Observed().Secure)
	}
	plain, _ := newPD(Config{Address: 2})
	plain.respond(cmd(2, 0, wire.CmdPOLL), nil, 2)
	c := chlng(1)
	c.Addr = 2
	if f := decodeReply(t, plain.respond(c, nil, 2)); f.Code != wire.ReplyNAK || f.Data[0] != wire.NakSCBUnsupp {
		t.Fatalf("CHLNG to a PD without a key: %+v", f)
	}
}

// TestKeySetOnlyInsideSecureChannel: a KEYSET in clear text draws NAK 6 and
// leaves the key alone.
func TestKeySetOnlyInsideSecureChannel(t *testing.T) {
	key := sc.DefaultSCBK()
	pd, _ := newPD(Config{Address: 1, Key: &key})
	pd.respond(cmd(1, 0, wire.CmdPOLL), nil, 1)
	data := wire.KeySet{Type: wire.KeyTypeSCBK, Key: make([]byte, 16)}.Append(nil)
	if f := decodeReply(t, pd.respond(cmd(1, 1, wire.CmdKEYSET, data...), nil, 1)); f.Code != wire.ReplyNAK || f.Data[0] != wire.NakSecurity {
		t.Fatalf("KEYSET in clear: %+v", f)
	}
	if o := pd.Observed(); o.KeyChanges != 0 || *o.Key != key {
		t.Fatalf("key changed by a clear KEYSET: %+v", o)
	}
}
