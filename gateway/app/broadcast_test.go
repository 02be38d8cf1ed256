package app_test

import (
	"encoding/json"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/broadcast"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestBroadcastToAGridCell: the security room broadcasts an anti-fraud
// warning to cell lh-g4-07. Its light boxes get a speak command — lb-0001
// answers, lb-0002 stays silent — and its staff a broadcast notification;
// the broadcast's record shows each target's fate, and nobody outside the
// cell hears anything.
func TestBroadcastToAGridCell(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("wang", "chen", "zhao")
	spoken := make(chan wire.CommandMsg, 4)
	box := s.client("lb-0001", true, nil)
	tok := box.Subscribe(s.topics.Command("lb-0001"), 1, func(c paho.Client, m paho.Message) {
		var cmd wire.CommandMsg
		if err := json.Unmarshal(m.Payload(), &cmd); err != nil {
			t.Errorf("bad command %s", m.Payload())
			return
		}
		spoken <- cmd
		ack, _ := json.Marshal(wire.CommandAckMsg{CID: cmd.CID, OK: true})
		c.Publish(s.topics.CommandAck("lb-0001"), 1, false, ack)
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	silent := make(chan []byte, 4)
	mute := s.client("lb-0002", true, nil)
	mute.Subscribe(s.topics.Command("lb-0002"), 1, func(_ paho.Client, m paho.Message) { silent <- m.Payload() }).WaitTimeout(wait)

	const text = "近期电信诈骗高发，请勿向陌生账户转账"
	code, body := s.post("/api/v1/broadcasts", `{"grid":"lh-g4-07","text":"`+text+`","by":"room1"}`)
	if code != 201 {
		t.Fatalf("POST /api/v1/broadcasts: %d %s", code, body)
	}
	var b broadcast.Broadcast
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	cmd := <-spoken
	if cmd.Cmd != broadcast.CmdSpeak || cmd.Args["text"] != text || cmd.Args["broadcast_id"] != b.ID {
		t.Errorf("lb-0001 got %+v", cmd)
	}
	<-silent
	// A person's target is delivered once their phone acknowledged the page.
	testsvc.Eventually(t, wait, "lb-0001's ack and the phones' on the broadcast", func() bool {
		s.getJSON("/api/v1/broadcasts/"+b.ID, &b)
		return b.Summary[broadcast.OK] == 1 && b.Summary[broadcast.Delivered] == 2
	})
	status := map[string]string{}
	for _, tg := range b.Targets {
		status[tg.ID] = tg.Status
	}
	want := map[string]string{"lb-0001": broadcast.OK, "lb-0002": broadcast.Pending, "wang": broadcast.Delivered, "zhao": broadcast.Delivered}
	for id, st := range want {
		if status[id] != st {
			t.Errorf("%s: %q, want %q (all: %v)", id, status[id], st, status)
		}
	}
	if _, ok := status["chen"]; ok {
		t.Errorf("chen (cell lh-g4-08) is a target: %v", status)
	}
	testsvc.Eventually(t, wait, "wang's phone shows it", func() bool { return len(phones["wang"].all()) == 1 })
	if n := phones["wang"].all()[0]; n.Kind != event.KindBroadcast || n.Text != text || n.BroadcastID != b.ID {
		t.Errorf("wang got %+v", n)
	}
	if len(phones["chen"].all()) != 0 {
		t.Errorf("chen got %+v", phones["chen"].all())
	}
	var list struct{ Broadcasts []broadcast.Broadcast }
	s.getJSON("/api/v1/broadcasts", &list)
	if len(list.Broadcasts) != 1 || list.Broadcasts[0].ID != b.ID {
		t.Errorf("list: %+v", list)
	}
	if code, body := s.post("/api/v1/broadcasts", `{"grid":"nowhere","text":"x","by":"room1"}`); code != 404 {
		t.Errorf("unknown grid: %d %s", code, body)
	}
}

// TestPanicStrobesTheBox: the built-in panic rule's commands reach the
// pressed box on R/dev/{id}/cmd (strobe and siren), after its page.
func TestPanicStrobesTheBox(t *testing.T) {
	s := startSite(t, siteOptions{})
	got := make(chan string, 8)
	box := s.client("lb-0001", true, nil)
	tok := box.Subscribe(s.topics.Command("lb-0001"), 1, func(_ paho.Client, m paho.Message) {
		var cmd wire.CommandMsg
		if json.Unmarshal(m.Payload(), &cmd) == nil && cmd.CID != "" {
			got <- cmd.Cmd
		}
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	s.press(box, "lb-0001", 1)
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case c := <-got:
			seen[c] = true
		case <-time.After(wait):
			t.Fatalf("commands seen %v, want strobe and siren", seen)
		}
	}
	if !seen["strobe"] || !seen["siren"] {
		t.Errorf("commands %v", seen)
	}
}
