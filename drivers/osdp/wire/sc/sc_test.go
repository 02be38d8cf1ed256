package sc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func key(t *testing.T, s string) Key {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		t.Fatalf("bad key %q", s)
	}
	return Key(b)
}

func seq(start byte) Random {
	var r Random
	for i := range r {
		r[i] = start + byte(i)
	}
	return r
}

// TestAnnexEVectors checks the SIA OSDP Annex E vectors of NOTES.md §1:
// SCBK-D, RND.A = B0..B7, RND.B = A0..A7.
func TestAnnexEVectors(t *testing.T) {
	rndA, rndB := seq(0xB0), seq(0xA0)
	k := DeriveKeys(DefaultSCBK(), rndA)
	scrypt := k.ServerCryptogram(rndA, rndB)
	for _, tc := range []struct {
		name string
		got  Key
		want string
	}{
		{"S-ENC", k.ENC, "BF8DC2A8329ACB8C67C6D0CD9A451682"},
		{"S-MAC1", k.MAC1, "5E86C676603BDEE2D8BEAFE178637332"},
		{"S-MAC2", k.MAC2, "6FDA86E857777E81132035758239172E"},
		{"client cryptogram", k.ClientCryptogram(rndA, rndB), "FDE5D2F428EC16312471EA3C02BD7796"},
		{"server cryptogram", scrypt, "26D3356E07762D262801FC8E6665A891"},
		{"RMAC_I", k.InitialRMAC(scrypt), "B2A30057EB98BA2229EC1F875662B524"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if want := key(t, tc.want); tc.got != want {
				t.Fatalf("got %X, want %X", tc.got, want)
			}
		})
	}
	if DefaultSCBK() != key(t, "303132333435363738393A3B3C3D3E3F") {
		t.Fatal("SCBK-D")
	}
	if !VerifyCryptogram(scrypt[:], scrypt[:]) || VerifyCryptogram(scrypt[:], k.ENC[:]) {
		t.Fatal("VerifyCryptogram")
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	k := DeriveKeys(DefaultSCBK(), seq(0xB0))
	iv := IVFor(key(t, "00112233445566778899AABBCCDDEEFF"))
	if iv != key(t, "FFEEDDCCBBAA99887766554433221100") {
		t.Fatalf("IVFor = %X", iv)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32} {
		data := bytes.Repeat([]byte{0x5A}, n)
		ct := k.Encrypt(iv, data)
		if len(ct) != (n/16+1)*16 {
			t.Errorf("%d bytes encrypt to %d, want padding to the next block", n, len(ct))
		}
		pt, err := k.Decrypt(iv, ct)
		if err != nil || !bytes.Equal(pt, data) {
			t.Errorf("%d bytes: round trip % X, %v", n, pt, err)
		}
		if other := k.Encrypt(IVFor(iv), data); bytes.Equal(other, ct) {
			t.Errorf("%d bytes: the IV does not change the ciphertext", n)
		}
	}
	if _, err := k.Decrypt(iv, make([]byte, 15)); err == nil {
		t.Error("Decrypt accepted 15 bytes")
	}
	wrong := DeriveKeys(DefaultSCBK(), seq(0x10))
	if _, err := wrong.Decrypt(iv, k.Encrypt(iv, []byte("secret"))); !errors.Is(err, ErrPadding) {
		t.Errorf("Decrypt with the wrong key: %v, want ErrPadding", err)
	}
}

// TestSessionChain runs a CP and a PD session side by side: each MAC checks
// on the other side, chains from the previous one, and a tampered packet is
// refused without advancing the chain.
func TestSessionChain(t *testing.T) {
	rndA, rndB := seq(0xB0), seq(0xA0)
	k := DeriveKeys(DefaultSCBK(), rndA)
	rmacI := k.InitialRMAC(k.ServerCryptogram(rndA, rndB))
	cp, pd := NewSession(k, rmacI), NewSession(k, rmacI)
	cmd := []byte{0x53, 0x01, 0x0E, 0x00, 0x0D, 0x02, 0x15, 0x60}
	var macs [][4]byte
	for i := range 3 {
		mac := cp.SealCommand(cmd)
		if err := pd.OpenCommand(cmd, mac[:]); err != nil {
			t.Fatalf("round %d: PD refused the command MAC: %v", i, err)
		}
		reply := []byte{0x53, 0x81, 0x0E, 0x00, 0x0D, 0x02, 0x16, 0x40}
		rmac := pd.SealReply(reply)
		if err := cp.OpenReply(reply, rmac[:]); err != nil {
			t.Fatalf("round %d: CP refused the reply MAC: %v", i, err)
		}
		macs = append(macs, mac)
	}
	if macs[0] == macs[1] || macs[1] == macs[2] {
		t.Fatalf("MACs of the same command do not chain: %X", macs)
	}
	mac := cp.SealCommand(cmd)
	bad := append([]byte{}, cmd...)
	bad[7] = 0x61
	if err := pd.OpenCommand(bad, mac[:]); !errors.Is(err, ErrMAC) {
		t.Fatalf("tampered command: %v, want ErrMAC", err)
	}
	if err := pd.OpenCommand(cmd, mac[:]); err != nil {
		t.Fatalf("a refused packet advanced the chain: %v", err)
	}
	if pd.CommandIV() != cp.CommandIV() || pd.ReplyIV() != cp.ReplyIV() {
		t.Fatal("CP and PD disagree on the IVs")
	}
	// A MAC over exactly one block uses S-MAC2 alone, unpadded.
	one := bytes.Repeat([]byte{1}, 16)
	if k.MAC(Key{}, one) != encryptBlock(k.MAC2, Key(one)) {
		t.Fatal("single full block: want AES(S-MAC2, block) with no padding")
	}
	short := k.MAC(Key{}, []byte{1})
	if short != encryptBlock(k.MAC2, Key{1, 0x80}) {
		t.Fatal("short block: want 0x80 padding under S-MAC2")
	}
}
