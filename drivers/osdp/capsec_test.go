package osdp

import (
	"errors"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
)

// TestSecureCapable: a reader with a key must offer the secure channel in
// its PDCAP reply. The payloads are written from the specification's
// layout: [function, compliance, number of] triples; function 9 is
// communication security, compliance bit 0 AES-128, number-of bit 0
// SCBK-D.
func TestSecureCapable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pdcap []byte
		says  string // "" = accepted
	}{
		{"AES-128 with SCBK-D", []byte{0x01, 0x01, 0x02, 0x09, 0x01, 0x01, 0x10, 0x02, 0x00}, ""},
		{"AES-128, provisioned", []byte{0x09, 0x01, 0x00}, ""},
		{"no function 9", []byte{0x01, 0x01, 0x02, 0x03, 0x01, 0x00, 0x10, 0x02, 0x00}, "no secure channel capability (no PDCAP function 9 among 3)"},
		{"function 9 without AES-128", []byte{0x09, 0x00, 0x00}, "no AES-128 secure channel (PDCAP function 9, compliance 0x00)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caps, err := wire.DecodePDCAP(tc.pdcap)
			if err != nil {
				t.Fatal(err)
			}
			err = secureCapable(caps)
			switch {
			case tc.says == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.says != "" && (!errors.Is(err, errSecure) || !strings.Contains(err.Error(), tc.says)):
				t.Fatalf("err %v, want a secure channel failure saying %q", err, tc.says)
			}
		})
	}
}

// TestUnsealNamesTheBlockType: a reply inside a session must carry an
// SCS_16 or SCS_18 block; anything else is named for what arrived, not
// called clear text.
func TestUnsealNamesTheBlockType(t *testing.T) {
	for _, tc := range []struct {
		name string
		scb  []byte
		says string
	}{
		{"no block", nil, "LSTATR reply in clear text"},
		{"SCRYPT block", []byte{0x02, 0x13}, "security block SCS_13 (0x13, SCRYPT), want SCS_16 or SCS_18"},
		{"command block", []byte{0x02, 0x15}, "security block SCS_15 (0x15, command, MAC)"},
		{"unknown type", []byte{0x02, 0x42}, "security block 0x42 (no such type)"},
		{"block without type", []byte{0x01}, "a 1-byte security block and no type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := unseal(nil, wire.Frame{Addr: 1, Reply: true, Code: wire.ReplyLSTATR, SCB: tc.scb, Data: []byte{0, 0}}, nil)
			if !errors.Is(err, errSecure) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err %v, want %q", err, tc.says)
			}
		})
	}
}
