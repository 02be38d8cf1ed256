package device

import (
	"math/rand/v2"
	"testing"
	"time"
)

func time_(n int) time.Duration { return time.Duration(n) * time.Second }

func TestTelemetryDriftStaysPlausible(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tel := newTelemetry(rng)
	first := tel
	for range 100000 {
		tel.step(rng)
		if tel.batteryV < batteryMin || tel.batteryV > batteryMax || tel.tempC < tempMin || tel.tempC > tempMax ||
			tel.rssiDBm < rssiMin || tel.rssiDBm > rssiMax || !tel.mains {
			t.Fatalf("out of bounds: %+v", tel)
		}
	}
	if tel == first {
		t.Fatal("no drift")
	}
	one := newTelemetry(rng)
	next := one
	next.step(rng)
	if d := next.batteryV - one.batteryV; d > 0.05 || d < -0.05 {
		t.Fatalf("battery moved %.3f V in one beat; drift should be slow", d)
	}
	p := tel.payload(time.UnixMilli(42))
	if p["ts"] != int64(42) || p["mains"] != true {
		t.Fatalf("payload = %v", p)
	}
}

func TestDecodeCommand(t *testing.T) {
	tests := []struct {
		payload, cid, problem string
	}{
		{`{"cid":"c1","cmd":"strobe","args":{"seconds":5}}`, "c1", ""},
		{`{"cid":"c2","cmd":"reboot"}`, "c2", ""},
		{`{"cid":"c3","cmd":"dance"}`, "c3", `unknown command "dance"`},
		{`{"cid":"c4"}`, "c4", "command without cmd"},
		{`{"cmd":"strobe"}`, "", "command without cid"},
		{`{"cid":"c6","cmd":["x"]}`, "c6", "malformed command: json: cannot unmarshal array into Go struct field CommandMsg.cmd of type string"},
		{`nonsense`, "", "malformed command: invalid character 'o' in literal null (expecting 'u')"},
	}
	for _, tc := range tests {
		t.Run(tc.payload, func(t *testing.T) {
			c, problem := decodeCommand([]byte(tc.payload))
			if c.CID != tc.cid || problem != tc.problem {
				t.Fatalf("got cid %q problem %q, want %q %q", c.CID, problem, tc.cid, tc.problem)
			}
		})
	}
}
