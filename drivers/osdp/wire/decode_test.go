package wire

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		wire   string
		reason Reason
	}{
		{"bad crc", "53 01 08 00 05 60 8B 34", ReasonCheck},
		{"bad checksum", "53 00 08 00 00 61 00 45", ReasonCheck},
		{"len below minimum", "53 01 06 00 05 60", ReasonLength},
		{"oversize", "53 01 FF 7F 05", ReasonOversize},
		{"not SOM", "54 01 08 00 05 60 8B 33", ReasonGarbage},
		{"crc frame too short for code", "53 01 07 00 04 60 00", ReasonLength},
		{"scb longer than frame", "53 01 0A 00 0D 09 11 60 00 00", ReasonSCB},
		{"mac type without room", "53 01 0B 00 0D 02 15 60 00 00 00", ReasonSCB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := unhex(t, tc.wire)
			if tc.reason == ReasonSCB {
				fixCheck(b)
			}
			_, _, err := Decode(b)
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Reason != tc.reason {
				t.Fatalf("err = %v, want reason %s", err, tc.reason)
			}
		})
	}
	for _, s := range []string{"", "FF", "53 01", "53 01 08 00 05 60 8B"} {
		if _, _, err := Decode(unhex(t, s)); !errors.Is(err, ErrIncomplete) {
			t.Errorf("Decode(%q) = %v, want ErrIncomplete", s, err)
		}
	}
}

// fixCheck rewrites the trailer of a frame in place so only its body is wrong.
func fixCheck(b []byte) {
	if b[4]&ctrlCRC != 0 {
		c := CRC16(b[:len(b)-2])
		b[len(b)-2], b[len(b)-1] = byte(c), byte(c>>8)
	} else {
		b[len(b)-1] = Checksum(b[:len(b)-1])
	}
}

func TestSecureFrameRoundTrip(t *testing.T) {
	f := Frame{Addr: 3, SQN: 2, CRC: true, SCB: []byte{2, 0x17}, Code: CmdLED,
		Data: bytes.Repeat([]byte{0xAA}, 16), MAC: []byte{1, 2, 3, 4}}
	b, err := f.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	g, n, err := Decode(b)
	if err != nil || n != len(b) {
		t.Fatalf("Decode: %v", err)
	}
	if !bytes.Equal(g.SCB, f.SCB) || !bytes.Equal(g.MAC, f.MAC) || !bytes.Equal(g.Data, f.Data) || g.Code != f.Code {
		t.Fatalf("got %+v", g)
	}
	hs := Frame{Addr: 3, CRC: true, SCB: []byte{3, 0x11, 0}, Code: CmdCHLNG, Data: make([]byte, 8)}
	b, _ = hs.Encode(false)
	if g, _, err := Decode(b); err != nil || g.MAC != nil || !bytes.Equal(g.SCB, hs.SCB) {
		t.Fatalf("handshake frame: %+v, %v", g, err)
	}
}

func TestEncodeRejectsBadFrames(t *testing.T) {
	for name, f := range map[string]Frame{
		"address":        {Addr: 0x80},
		"sqn":            {SQN: 4},
		"scb length":     {SCB: []byte{3, 0x15}},
		"missing mac":    {SCB: []byte{2, 0x15}},
		"mac without sc": {MAC: []byte{1, 2, 3, 4}},
		"oversize":       {Data: make([]byte, MaxFrameLen)},
	} {
		if _, err := f.Encode(false); err == nil {
			t.Errorf("%s: Encode accepted %+v", name, f)
		}
	}
}

func reasons(t *testing.T, r *Reader) ([]Frame, []Reason) {
	t.Helper()
	var frames []Frame
	var rs []Reason
	for {
		f, _, err := r.Next()
		if errors.Is(err, ErrIncomplete) {
			return frames, rs
		}
		var fe *FrameError
		if errors.As(err, &fe) {
			rs = append(rs, fe.Reason)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
}

func TestReaderResyncs(t *testing.T) {
	t0 := time.Unix(1000, 0)
	poll := unhex(t, "53 01 08 00 05 60 8B 33")
	ack := unhex(t, "FF 53 E5 07 00 01 40 80")
	bad := unhex(t, "53 01 08 00 05 60 8B 34")
	for _, tc := range []struct {
		name    string
		chunks  [][]byte
		codes   []byte
		reasons []Reason
	}{
		{"two frames in one chunk", [][]byte{append(append([]byte{}, poll...), ack...)}, []byte{CmdPOLL, ReplyACK}, nil},
		{"byte by byte", splitBytes(ack), []byte{ReplyACK}, nil},
		{"noise before", [][]byte{{0x00, 0x12, 0xFE}, poll}, []byte{CmdPOLL}, []Reason{ReasonGarbage}},
		{"idle marks are not noise", [][]byte{{0xFF, 0xFF, 0xFF}, ack}, []byte{ReplyACK}, nil},
		{"bad crc then good", [][]byte{bad, poll}, []byte{CmdPOLL}, []Reason{ReasonCheck, ReasonGarbage}},
		{"truncated then good", [][]byte{poll[:5], poll}, []byte{CmdPOLL}, []Reason{ReasonCheck, ReasonGarbage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader()
			for i, c := range tc.chunks {
				if err := r.Push(t0.Add(time.Duration(i)*time.Millisecond), c); err != nil {
					t.Fatalf("Push: %v", err)
				}
			}
			frames, rs := reasons(t, r)
			var codes []byte
			for _, f := range frames {
				codes = append(codes, f.Code)
			}
			if !bytes.Equal(codes, tc.codes) || !equalReasons(rs, tc.reasons) {
				t.Fatalf("codes % X reasons %v, want % X %v", codes, rs, tc.codes, tc.reasons)
			}
		})
	}
}

func splitBytes(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

func equalReasons(a, b []Reason) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReaderInterCharacterGap(t *testing.T) {
	t0 := time.Unix(1000, 0)
	poll := unhex(t, "53 01 08 00 05 60 8B 33")
	r := NewReader()
	if err := r.Push(t0, poll[:4]); err != nil {
		t.Fatal(err)
	}
	// 20 ms exactly is still within the gap.
	if err := r.Push(t0.Add(InterCharTimeout), nil); err != nil {
		t.Fatalf("gap of exactly 20 ms dropped the frame: %v", err)
	}
	err := r.Push(t0.Add(InterCharTimeout+time.Millisecond), poll)
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Reason != ReasonGap {
		t.Fatalf("Push after 21 ms = %v, want gap_timeout", err)
	}
	frames, rs := reasons(t, r)
	if len(frames) != 1 || frames[0].Code != CmdPOLL || len(rs) != 0 {
		t.Fatalf("after gap: frames %+v reasons %v", frames, rs)
	}
	// Idle marks never time out.
	_ = r.Push(t0, []byte{Mark})
	if err := r.Push(t0.Add(time.Second), nil); err != nil {
		t.Fatalf("idle mark timed out: %v", err)
	}
}

// TestReaderFalseSOM: noise holding SOM and a plausible LEN swallows the
// next real frame until the inter-character gap, which then finds it.
func TestReaderFalseSOM(t *testing.T) {
	t0 := time.Unix(1000, 0)
	poll := unhex(t, "53 01 08 00 05 60 8B 33")
	r := NewReader()
	_ = r.Push(t0, []byte{0x53, 0x53, 0x99})
	_ = r.Push(t0.Add(time.Millisecond), poll)
	frames, rs := reasons(t, r)
	if len(frames) != 0 || !equalReasons(rs, []Reason{ReasonOversize}) {
		t.Fatalf("before the gap: frames %+v reasons %v", frames, rs)
	}
	err := r.Push(t0.Add(time.Millisecond+InterCharTimeout+time.Millisecond), nil)
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Reason != ReasonGap {
		t.Fatalf("gap: %v", err)
	}
	frames, rs = reasons(t, r)
	if len(frames) != 1 || frames[0].Code != CmdPOLL || len(rs) != 0 {
		t.Fatalf("after the gap: frames %+v reasons %v", frames, rs)
	}
}

func TestReaderFrameOwnsBytes(t *testing.T) {
	r := NewReader()
	_ = r.Push(time.Unix(0, 0), unhex(t, "53 81 09 00 05 41 04 12 86"))
	f, raw, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Push(time.Unix(0, 0), unhex(t, "53 81 09 00 05 41 05 12 86 00 00"))
	if f.Data[0] != NakSQN || raw[6] != NakSQN {
		t.Fatalf("frame data changed under the caller: % X", raw)
	}
}

// TestDecodeAllocationBound: a good frame is decoded in place; a rejected one
// costs only its error, however large a LEN it claims.
func TestDecodeAllocationBound(t *testing.T) {
	good := unhex(t, "53 81 10 00 05 50 00 01 1A 00 22 51 27 C0 27 D2")
	if n := testing.AllocsPerRun(50, func() { _, _, _ = Decode(good) }); n != 0 {
		t.Errorf("Decode of a good frame allocates %v times", n)
	}
	for _, s := range []string{"53 01 FF FF 05", "53 01 00 04 05 00", "53 01 08 00 05 60 8B 34"} {
		b := unhex(t, s)
		if n := testing.AllocsPerRun(50, func() { _, _, _ = Decode(b) }); n > 8 {
			t.Errorf("Decode(% X) allocates %v times", b, n)
		}
	}
}
