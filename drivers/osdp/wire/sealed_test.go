package wire

import (
	"bytes"
	"testing"
	"time"
)

func TestEncodeSealed(t *testing.T) {
	for _, crc := range []bool{true, false} {
		f := Frame{Addr: 1, SQN: 2, CRC: crc, SCB: []byte{2, SCBCmdEnc}, Code: CmdLED, Data: bytes.Repeat([]byte{7}, 16)}
		var covered []byte
		b, err := f.EncodeSealed(true, func(msg []byte) [MACLen]byte {
			covered = append([]byte(nil), msg...)
			return [MACLen]byte{0xDE, 0xAD, 0xBE, 0xEF}
		})
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader()
		_ = r.Push(time.Unix(0, 0), b)
		g, raw, err := r.Next()
		if err != nil {
			t.Fatalf("crc=%v: sealed frame does not decode: %v", crc, err)
		}
		if !bytes.Equal(g.MAC, []byte{0xDE, 0xAD, 0xBE, 0xEF}) || !bytes.Equal(g.Data, f.Data) {
			t.Fatalf("crc=%v: decoded %+v", crc, g)
		}
		if !bytes.Equal(MACInput(raw, g), covered) {
			t.Fatalf("crc=%v: MACInput % X, the MAC covered % X", crc, MACInput(raw, g), covered)
		}
		if int(covered[2]) != len(raw) {
			t.Fatalf("crc=%v: LEN in the MACed bytes is %d, want the full %d", crc, covered[2], len(raw))
		}
		if covered[len(covered)-1] != 7 || covered[0] != SOM {
			t.Fatalf("crc=%v: MAC input % X should run from SOM to the end of the data", crc, covered)
		}
	}
	plain := Frame{Addr: 1, CRC: true, Code: CmdPOLL}
	if _, err := plain.EncodeSealed(false, func([]byte) [MACLen]byte { return [MACLen]byte{} }); err == nil {
		t.Fatal("sealed a frame without a MAC security block")
	}
}
