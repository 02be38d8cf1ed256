package wire

import "fmt"

// Secure-channel security block types.
const (
	SCBChallenge byte = 0x11 // CHLNG: RND.A
	SCBCCrypt    byte = 0x12 // CCRYPT: cUID, RND.B, client cryptogram
	SCBSCrypt    byte = 0x13 // SCRYPT: server cryptogram
	SCBRMACI     byte = 0x14 // RMAC_I: initial R-MAC
	SCBCmdMAC    byte = 0x15 // command, MAC, no data
	SCBReplyMAC  byte = 0x16 // reply, MAC, no data
	SCBCmdEnc    byte = 0x17 // command, MAC, encrypted data
	SCBReplyEnc  byte = 0x18 // reply, MAC, encrypted data
)

// SCBName names a security block type as the specification does, with its
// hex value ("SCS_13 (0x13, SCRYPT)"); an unknown type is named by its value.
func SCBName(t byte) string {
	what := map[byte]string{
		SCBChallenge: "CHLNG", SCBCCrypt: "CCRYPT", SCBSCrypt: "SCRYPT", SCBRMACI: "RMAC_I",
		SCBCmdMAC: "command, MAC", SCBReplyMAC: "reply, MAC", SCBCmdEnc: "command, MAC, encrypted",
		SCBReplyEnc: "reply, MAC, encrypted",
	}[t]
	if what == "" {
		return fmt.Sprintf("0x%02X (no such type)", t)
	}
	return fmt.Sprintf("SCS_%02X (0x%02X, %s)", t, t, what)
}

// EncodeSealed encodes f (whose SCB must be of a MAC type) with the MAC
// that mac computes over the bytes it covers: SOM through the data, with
// LEN already counting the MAC and check bytes. f.MAC is ignored.
func (f *Frame) EncodeSealed(mark bool, mac func(msg []byte) [MACLen]byte) ([]byte, error) {
	g := *f
	g.MAC = make([]byte, MACLen)
	b, err := g.Encode(mark)
	if err != nil {
		return nil, err
	}
	start, trailer := 0, 1
	if mark {
		start = 1
	}
	if g.CRC {
		trailer = 2
	}
	end := len(b) - trailer - MACLen
	m := mac(b[start:end])
	copy(b[end:], m[:])
	if g.CRC {
		c := CRC16(b[start : len(b)-2])
		b[len(b)-2], b[len(b)-1] = byte(c), byte(c>>8)
	} else {
		b[len(b)-1] = Checksum(b[start : len(b)-1])
	}
	return b, nil
}

// MACInput returns the part of raw, a frame f as Reader returns it (no mark
// byte), that f's MAC covers.
func MACInput(raw []byte, f Frame) []byte {
	trailer := 1
	if f.CRC {
		trailer = 2
	}
	return raw[:max(len(raw)-trailer-len(f.MAC), 0)]
}
