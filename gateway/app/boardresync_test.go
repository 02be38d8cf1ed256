package app_test

import (
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
	"github.com/mochi-mqtt/server/v2/packets"
	"go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestBoardIsPutRightAtStart: the embedded broker writes the retained
// alarm board behind, so a crash may leave broker.db with a closed alarm
// still shown, or an open one missing. At the next start the gateway
// clears the first and shows the second, from the alarm store. Here
// broker.db is left that way by hand between a clean stop and the start.
func TestBoardIsPutRightAtStart(t *testing.T) {
	s := startSite(t, siteOptions{})
	dev := s.client("lb-0001", true, nil)
	s.press(dev, "lb-0001", 1)
	s.press(s.client("lb-0003", true, nil), "lb-0003", 1)
	var open struct{ Alarms []alarm.Alarm }
	testsvc.Eventually(t, wait, "two open alarms", func() bool {
		s.getJSON("/api/v1/alarms?state=open", &open)
		return len(open.Alarms) == 2
	})
	closed, kept := open.Alarms[0], open.Alarms[1]
	s.waitBoard(closed.ID)
	s.waitBoard(kept.ID)
	if code, body := s.post("/api/v1/alarms/"+closed.ID+"/resolve", `{"note":"误报","by":"room1"}`); code != 200 {
		t.Fatalf("resolve: %d %s", code, body)
	}
	s.stop()

	// The crash's leftovers: the closed alarm still shown, the open one's
	// state never stored.
	h := new(bolt.Hook)
	h.SetOpts(slog.New(slog.DiscardHandler), nil)
	if err := h.Init(&bolt.Options{Path: filepath.Join(s.cfg.DataDir, "broker.db"), Bucket: "mochi", Options: &bbolt.Options{Timeout: 5 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	inline := &mqtt.Client{ID: mqtt.InlineClientId}
	h.OnRetainMessage(inline, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1, Retain: true},
		TopicName: s.topics.Alarm(closed.ID), Payload: []byte(`{"id":"` + closed.ID + `","state":"open"}`)}, 1)
	h.OnRetainMessage(inline, packets.Packet{TopicName: s.topics.Alarm(kept.ID)}, -1)
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}

	s.start()
	// A console subscribes at once, as the board is being put right: it
	// gets what is retained and then the changes, and ends up right.
	var mu sync.Mutex
	shown := map[string]string{}
	c := s.client("board-watch", true, nil)
	tok := c.Subscribe(s.topics.Alarm("+"), 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		shown[m.Topic()] = string(m.Payload())
		mu.Unlock()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	testsvc.Eventually(t, wait, "the board shows the open alarm and not the closed one", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return shown[s.topics.Alarm(kept.ID)] != "" && shown[s.topics.Alarm(closed.ID)] == ""
	})
	testsvc.Eventually(t, wait, "the board shown afresh after the restart", func() bool {
		return len(s.logs.Lines("alarm board shown afresh", "cleared=1")) == 1
	})
	// A late subscriber sees the same: what is retained is right.
	late := make(chan string, 4)
	c2 := s.client("board-late", true, nil)
	if tok := c2.Subscribe(s.topics.Alarm("+"), 1, func(_ paho.Client, m paho.Message) { late <- m.Topic() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	select {
	case topic := <-late:
		if topic != s.topics.Alarm(kept.ID) {
			t.Fatalf("retained board holds %s, want only %s", topic, s.topics.Alarm(kept.ID))
		}
	case <-time.After(wait):
		t.Fatal("the open alarm is not retained")
	}
	select {
	case topic := <-late:
		t.Fatalf("retained board also holds %s", topic)
	case <-time.After(500 * time.Millisecond): // a second retained message would come with the first
	}
}
