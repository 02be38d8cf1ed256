package mqttlink

import (
	"os"
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// TestOutboundStoreKeepsOnlyWhatWeSend: a publish of ours waiting for its
// PUBACK is kept (it must survive a restart); a received message is not
// written at all (the broker redelivers what we have not acknowledged).
func TestOutboundStoreKeepsOnlyWhatWeSend(t *testing.T) {
	pub := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	pub.Qos, pub.TopicName, pub.MessageID = 1, "gridwatch/v1/dev/lb-0001/cmd", 7
	// A file store written by an older gateway holds a received message.
	dir := t.TempDir()
	old := paho.NewFileStore(dir)
	old.Open()
	old.Put("i.3", pub)
	old.Close()
	s := newOutboundStore(paho.NewFileStore(dir), noPages)
	s.Open()
	defer s.Close()
	if keys := s.All(); len(keys) != 0 {
		t.Errorf("left in the store after Open: %v", keys)
	}
	mem := paho.NewMemoryStore()
	mem.Open()
	s = newOutboundStore(mem, noPages)
	for _, tc := range []struct {
		key  string
		kept bool
	}{{"o.7", true}, {"i.7", false}} {
		s.Put(tc.key, pub)
		if got := mem.Get(tc.key) != nil; got != tc.kept {
			t.Errorf("%s kept = %v, want %v", tc.key, got, tc.kept)
		}
	}
	s.Del("o.7")
	if mem.Get("o.7") != nil {
		t.Error("o.7 still stored after Del")
	}
}

func noPages(string) bool { return false }

// TestOutboundStoreKeepsPagesInMemory: a page waiting for its PUBACK is
// kept for a re-send on reconnect, but no file is written for it (that
// would be on its way to the phone); a command still is.
func TestOutboundStoreKeepsPagesInMemory(t *testing.T) {
	dir := t.TempDir()
	topics := wire.Topics{Root: wire.DefaultRoot}
	l := &Link{cfg: Config{Topics: topics}}
	s := newOutboundStore(paho.NewFileStore(dir), l.isPage)
	s.Open()
	defer s.Close()
	pub := func(topic string, id uint16) *packets.PublishPacket {
		p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
		p.Qos, p.TopicName, p.MessageID = 1, topic, id
		return p
	}
	s.Put("o.1", pub(topics.Notify("wang"), 1))
	s.Put("o.2", pub(topics.Command("lb-0001"), 2))
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
	}
	if !slices.Equal(names, []string{"o.2.msg"}) {
		t.Errorf("files in the store %v, want the command's only", names)
	}
	if keys := s.All(); !slices.Equal(slices.Sorted(slices.Values(keys)), []string{"o.1", "o.2"}) {
		t.Errorf("All = %v, want both", keys)
	}
	if p, ok := s.Get("o.1").(*packets.PublishPacket); !ok || p.TopicName != topics.Notify("wang") {
		t.Errorf("Get(o.1) = %v, want the page", s.Get("o.1"))
	}
	s.Del("o.1")
	s.Del("o.2")
	if keys := s.All(); len(keys) != 0 {
		t.Errorf("after Del: %v", keys)
	}
}
