package osdp

import (
	"bytes"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
)

// TestCapabilityCommSecurity: a PD with a key advertises communication
// security (PDCAP function 9) — compliance 0x01 (AES-128), count 0x01
// (SCBK-D) while in install mode — so a control panel that enforces the
// secure channel accepts it; a PD without a key advertises none. The
// triple is checked as the specification lays it out: function,
// compliance, number of.
func TestCapabilityCommSecurity(t *testing.T) {
	site := sc.Key{0xA1, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x5F}
	def := sc.DefaultSCBK()
	for _, tc := range []struct {
		name string
		key  *sc.Key
		want []byte // the function 9 triple; nil: none
	}{
		{"install mode (SCBK-D)", &def, []byte{0x09, 0x01, 0x01}},
		{"site key", &site, []byte{0x09, 0x01, 0x00}},
		{"no key", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pd, err := newPD(Config{Address: 3, Key: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			f := decodeReply(t, pd.respond(cmd(3, 0, wire.CmdCAP, 0), nil, 3))
			if f.Code != wire.ReplyPDCAP || len(f.Data)%3 != 0 {
				t.Fatalf("CAP answered %s % X", wire.CodeName(f.Code, true), f.Data)
			}
			var got []byte
			for i := 0; i < len(f.Data); i += 3 {
				if f.Data[i] == 0x09 {
					got = f.Data[i : i+3]
				}
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("function 9 triple % X, want % X (PDCAP % X)", got, tc.want, f.Data)
			}
		})
	}
}
