package wire

import (
	"bytes"
	"reflect"
	"testing"
)

func TestPayloadRoundTrips(t *testing.T) {
	caps := []Capability{{CapContactStatus, 1, 4}, {CapCheckCRC, 1, 0}, {CapReceiveBuffer, 0x00, 0x01}}
	if got, err := DecodePDCAP(AppendPDCAP(nil, caps)); err != nil || !reflect.DeepEqual(got, caps) {
		t.Errorf("PDCAP: %+v, %v", got, err)
	}
	leds := []LEDControl{{Reader: 0, LED: 1,
		Temporary: LEDState{Control: 2, OnTime: 5, OffTime: 5, OnColor: ColorGreen, OffColor: ColorOff, Timer: 30},
		Permanent: LEDState{Control: 1, OnTime: 1, OnColor: ColorRed}}}
	b := AppendLEDs(nil, leds)
	if len(b) != 14 {
		t.Fatalf("LED record is %d bytes, want 14", len(b))
	}
	if got, err := DecodeLEDs(b); err != nil || !reflect.DeepEqual(got, leds) {
		t.Errorf("LED: %+v, %v", got, err)
	}
	pts := []bool{true, false, true}
	if got, err := DecodePoints(AppendPoints(nil, pts)); err != nil || !reflect.DeepEqual(got, pts) {
		t.Errorf("points: %v, %v", got, err)
	}
	ls := LocalStatus{Tamper: false, PowerFailure: true}
	if got, err := DecodeLocalStatus(ls.Append(nil)); err != nil || got != ls {
		t.Errorf("LSTATR: %+v, %v", got, err)
	}
	bz := Buzzer{Reader: 0, Tone: ToneDefault, OnTime: 1, OffTime: 1, Count: 2}
	if got, err := DecodeBuzzer(bz.Append(nil)); err != nil || got != bz {
		t.Errorf("BUZ: %+v, %v", got, err)
	}
	cs := ComSettings{Address: 0x7E, Baud: 115200}
	if got, err := DecodeComSettings(cs.Append(nil)); err != nil || got != cs {
		t.Errorf("COM: %+v, %v", got, err)
	}
	kp := Keypad{Reader: 0, Keys: "0123456789*#"}
	kb, err := kp.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeKeypad(kb); err != nil || got != kp {
		t.Errorf("KEYPAD: %+v, %v", got, err)
	}
	nk := Nak{Code: NakUnknown}
	if got, err := DecodeNak(nk.Append(nil)); err != nil || got.Code != NakUnknown {
		t.Errorf("NAK: %+v, %v", got, err)
	}
	if CodeName(CmdPOLL, false) != "POLL" || CodeName(ReplyRAW, true) != "RAW" || CodeName(0xEE, true) != "0xEE" {
		t.Errorf("CodeName")
	}
}

// TestPayloadRejects: every decoder says what is wrong with bad input.
func TestPayloadRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		decode func([]byte) error
		in     []byte
	}{
		{"pdid short", func(b []byte) error { _, err := DecodePDID(b); return err }, make([]byte, 11)},
		{"pdcap ragged", func(b []byte) error { _, err := DecodePDCAP(b); return err }, []byte{1, 1}},
		{"pdcap empty", func(b []byte) error { _, err := DecodePDCAP(b); return err }, nil},
		{"pdcap function 0", func(b []byte) error { _, err := DecodePDCAP(b); return err }, []byte{0, 1, 1}},
		{"lstatr short", func(b []byte) error { _, err := DecodeLocalStatus(b); return err }, []byte{1}},
		{"lstatr value", func(b []byte) error { _, err := DecodeLocalStatus(b); return err }, []byte{2, 0}},
		{"points value", func(b []byte) error { _, err := DecodePoints(b); return err }, []byte{0, 7}},
		{"raw short", func(b []byte) error { _, err := DecodeRawCard(b); return err }, []byte{0, 1, 26}},
		{"raw bits vs bytes", func(b []byte) error { _, err := DecodeRawCard(b); return err }, []byte{0, 1, 26, 0, 1, 2, 3}},
		{"raw zero bits", func(b []byte) error { _, err := DecodeRawCard(b); return err }, []byte{0, 1, 0, 0}},
		{"keypad count", func(b []byte) error { _, err := DecodeKeypad(b); return err }, []byte{0, 3, '1'}},
		{"keypad char", func(b []byte) error { _, err := DecodeKeypad(b); return err }, []byte{0, 1, 'A'}},
		{"out ragged", func(b []byte) error { _, err := DecodeOutputs(b); return err }, []byte{1, 1, 1}},
		{"out code", func(b []byte) error { _, err := DecodeOutputs(b); return err }, []byte{1, 9, 0, 0}},
		{"led ragged", func(b []byte) error { _, err := DecodeLEDs(b); return err }, make([]byte, 13)},
		{"led control", func(b []byte) error { _, err := DecodeLEDs(b); return err }, append([]byte{0, 0, 3}, make([]byte, 11)...)},
		{"buz short", func(b []byte) error { _, err := DecodeBuzzer(b); return err }, []byte{0, 2}},
		{"com short", func(b []byte) error { _, err := DecodeComSettings(b); return err }, []byte{1, 2}},
		{"com address", func(b []byte) error { _, err := DecodeComSettings(b); return err }, []byte{0x7F, 0x80, 0x25, 0, 0}},
		{"nak empty", func(b []byte) error { _, err := DecodeNak(b); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.decode(tc.in); err == nil {
				t.Fatalf("accepted % X", tc.in)
			} else if !bytes.Contains([]byte(err.Error()), []byte("osdp ")) {
				t.Fatalf("error %q does not say which message", err)
			}
		})
	}
	if _, err := (Keypad{Keys: "12A"}).Append(nil); err == nil {
		t.Error("Keypad.Append accepted 'A'")
	}
}

// TestKeySetPayload: NOTES.md §1 — KEYSET is type 1 (SCBK), length 16, key.
func TestKeySetPayload(t *testing.T) {
	key := []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F}
	want := append([]byte{0x01, 0x10}, key...)
	b := KeySet{Type: KeyTypeSCBK, Key: key}.Append(nil)
	if !bytes.Equal(b, want) {
		t.Fatalf("KEYSET payload % X, want % X", b, want)
	}
	got, err := DecodeKeySet(want)
	if err != nil || got.Type != KeyTypeSCBK || !bytes.Equal(got.Key, key) {
		t.Fatalf("decode: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {0x01}, {0x01, 0x10, 0x00}, {0x01, 0x02, 0xAA, 0xBB}, append([]byte{0x01, 0x11, 0x00}, key...)} {
		if k, err := DecodeKeySet(bad); err == nil {
			t.Errorf("DecodeKeySet(% X) = %+v, want an error", bad, k)
		}
	}
}
