package osdp

import (
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

func TestConfigValidate(t *testing.T) {
	good := Config{Line: serialline.Line{Name: "b", Port: "/dev/ttyUSB0"}, PDs: []PDConfig{{Device: "rd-1", Address: 1, Format: "H10301"}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	d := good.withDefaults()
	if d.Baud != 9600 || d.Retries != 8 || d.RetryWait != 800*time.Millisecond || d.ReplyTimeout != 200*time.Millisecond {
		t.Fatalf("defaults %+v, want the libosdp figures", d)
	}
	if (Config{Retries: -1}).withDefaults().Retries != 0 {
		t.Fatal("negative retries should mean none")
	}
	bad := Config{Line: serialline.Line{Name: "b", Baud: 12345, StopBits: 2}, RetryWait: -time.Second, PDs: []PDConfig{
		{Device: "rd-1", Address: 1}, {Device: "rd-2", Address: 1}, {Device: "rd-1", Address: 200},
		{Address: 3, Format: "w26"}}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"no port", "baud 12345", "retry_wait", "address 1 already used by rd-1",
		"device listed twice", "2 stop bits: osdp lines have 1", "address 200 outside", "no device id", `unknown format "w26"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if err := (Config{Line: serialline.Line{Port: "/dev/x"}}).Validate(); err == nil || !strings.Contains(err.Error(), "no PDs") {
		t.Errorf("empty bus: %v", err)
	}
	if _, err := New(good, nil, Options{}); err == nil {
		t.Error("New accepted a nil sink")
	}
	if _, err := New(bad, &collector{}, Options{}); err == nil {
		t.Error("New accepted a bad config")
	}
}

func TestSQNAndTxTime(t *testing.T) {
	for in, want := range map[byte]byte{0: 1, 1: 2, 2: 3, 3: 1} {
		if got := nextSQN(in); got != want {
			t.Errorf("nextSQN(%d) = %d, want %d", in, got, want)
		}
	}
	if got := txTime(12, 9600); got != 12500*time.Microsecond {
		t.Errorf("txTime(12, 9600) = %v", got)
	}
}
