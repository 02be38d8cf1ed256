package app_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	osdpwire "github.com/gridwatch/gridwatch/drivers/osdp/wire"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// commandAnswer is the answer of POST /api/v1/devices/{id}/commands.
type commandAnswer struct {
	ID      string `json:"cid"`
	Outcome string `json:"outcome"`
	Error   string `json:"error"`
	SentMS  int64  `json:"sent_ms"`
	AckMS   int64  `json:"ack_ms"`
}

// TestDeviceCommandOverMQTT: an installer tests lb-0001's strobe from the
// API; the box (a real MQTT client) gets the contract's command and acks,
// and the caller gets the ack. A silent box is a 504; the wrong roles and
// unknown devices are refused; every command is audited.
func TestDeviceCommandOverMQTT(t *testing.T) {
	s := startSite(t, siteOptions{})
	got := make(chan wire.CommandMsg, 4)
	box := s.client("lb-0001", true, nil)
	tok := box.Subscribe(s.topics.Command("lb-0001"), 1, func(c paho.Client, m paho.Message) {
		var cmd wire.CommandMsg
		if err := json.Unmarshal(m.Payload(), &cmd); err != nil {
			t.Errorf("bad command %s", m.Payload())
			return
		}
		got <- cmd
		ack, _ := json.Marshal(wire.CommandAckMsg{CID: cmd.CID, OK: cmd.Cmd == "strobe", Error: map[bool]string{false: "no speaker"}[cmd.Cmd == "strobe"]})
		c.Publish(s.topics.CommandAck("lb-0001"), 1, false, ack)
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	code, body := s.post("/api/v1/devices/lb-0001/commands", `{"cmd":"strobe","args":{"seconds":5},"by":"room1"}`)
	var a commandAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil || code != 200 || a.Outcome != "ok" || a.ID == "" || a.AckMS < a.SentMS || a.SentMS == 0 {
		t.Fatalf("strobe: %d %s", code, body)
	}
	if cmd := <-got; cmd.Cmd != "strobe" || cmd.Args["seconds"] != float64(5) || cmd.CID != a.ID {
		t.Errorf("the box got %+v, want strobe 5 s as %s", cmd, a.ID)
	}
	code, body = s.post("/api/v1/devices/lb-0001/commands", `{"cmd":"speak","args":{"text":"测试"}}`)
	if err := json.Unmarshal([]byte(body), &a); err != nil || code != 200 || a.Outcome != "failed" || a.Error != "no speaker" {
		t.Errorf("speak refused by the box: %d %s", code, body)
	}

	for _, tc := range []struct{ path, body, want string }{
		{"/api/v1/devices/lb-0002/commands?wait=300ms", `{"cmd":"siren","by":"room1"}`, `504 "outcome":"timeout"`},
		{"/api/v1/devices/lb-0001/commands", `{"cmd":"strobe","by":"wang"}`, "403 only security_room may send commands"},
		{"/api/v1/devices/lb-0001/commands", `{"cmd":"strobe","by":"cmd1"}`, "403 only security_room"},
		{"/api/v1/devices/lb-0404/commands", `{"cmd":"strobe"}`, "404 device lb-0404 is not in the registry"},
		{"/api/v1/devices/lb-0001/commands", `{"args":{}}`, "400 body must give"},
		{"/api/v1/devices/lb-0001/commands?wait=2h", `{"cmd":"strobe"}`, "400 "},
	} {
		code, body := s.post(tc.path, tc.body)
		if got := fmt.Sprint(code, " ", body); !strings.HasPrefix(got, tc.want[:3]) || !strings.Contains(got, tc.want[4:]) {
			t.Errorf("POST %s %s: %s, want %s", tc.path, tc.body, got, tc.want)
		}
	}

	var audit struct {
		Records []struct{ Kind, By, Action, Reason string } `json:"records"`
	}
	s.getJSON("/api/v1/audit", &audit)
	var lines []string
	for _, r := range audit.Records {
		lines = append(lines, r.Kind+" "+r.By+" "+r.Action+" "+strings.SplitN(r.Reason, ":", 2)[0])
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"command room1 command strobe lb-0001 ok", "command console command speak lb-0001 failed",
		"command room1 command siren lb-0002 timeout", "refused wang command strobe"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit log lacks %q:\n%s", want, all)
		}
	}
}

// TestDeviceCommandToAnOSDPReader: the same API reaches a reader on a
// serial line through its bus's command queue; a command the reader
// cannot carry out answers "failed" with the reason.
func TestDeviceCommandToAnOSDPReader(t *testing.T) {
	pty := serialLine(t)
	bus, err := sim.NewBus(sim.BusConfig{Port: pty.Master, PDs: []sim.Config{{Address: 2}}, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	runSim(t, bus.Run)
	s := startSite(t, siteOptions{mutate: func(c *config.Config) {
		c.Registry = filepath.Join(filepath.Dir(c.Registry), "registry-serial.yaml")
		reg := siteRegistry + fmt.Sprintf("  - {id: rd-0002, kind: reader, grid: lh-g4-07, osdp: {port: %q, address: 2, door: {}}}\n", pty.SlavePath)
		if err := os.WriteFile(c.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	pd := bus.PD(2)
	testsvc.Eventually(t, 30*time.Second, "the reader polled", func() bool { return pd.Observed().Commands[osdpwire.CmdPOLL] > 0 })

	code, body := s.post("/api/v1/devices/rd-0002/commands", `{"cmd":"strobe","args":{"seconds":5}}`)
	var a commandAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil || code != 200 || a.Outcome != "ok" || !strings.HasPrefix(a.ID, "osdp-") {
		t.Fatalf("strobe: %d %s", code, body)
	}
	testsvc.Eventually(t, 30*time.Second, "the reader's LED flashing red", func() bool {
		for _, l := range pd.Observed().LEDs {
			if l.Temporary.OnColor == osdpwire.ColorRed && l.Temporary.OffTime > 0 {
				return true
			}
		}
		return false
	})
	code, body = s.post("/api/v1/devices/rd-0002/commands", `{"cmd":"dance"}`)
	if err := json.Unmarshal([]byte(body), &a); err != nil || code != 200 || a.Outcome != "failed" || a.Error == "" {
		t.Errorf("dance: %d %s, want outcome failed with the reader's reason", code, body)
	}
}
