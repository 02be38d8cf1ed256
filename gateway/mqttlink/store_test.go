package mqttlink

import (
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// TestOutboundStoreKeepsOnlyWhatWeSend: a publish of ours waiting for its
// PUBACK is kept (it must survive a restart); a received message is not
// written at all (the broker redelivers what we have not acknowledged).
func TestOutboundStoreKeepsOnlyWhatWeSend(t *testing.T) {
	pub := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	pub.Qos, pub.TopicName, pub.MessageID = 1, "gridwatch/v1/staff/wang/notify", 7
	// A file store written by an older gateway holds a received message.
	dir := t.TempDir()
	old := paho.NewFileStore(dir)
	old.Open()
	old.Put("i.3", pub)
	old.Close()
	s := outboundStore{paho.NewFileStore(dir)}
	s.Open()
	defer s.Close()
	if keys := s.All(); len(keys) != 0 {
		t.Errorf("left in the store after Open: %v", keys)
	}
	mem := paho.NewMemoryStore()
	mem.Open()
	s = outboundStore{mem}
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
