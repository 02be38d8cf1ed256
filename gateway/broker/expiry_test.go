package broker

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// TestOldRetainedMessagesStay: a retained message is true until it is
// replaced or cleared, however old — an alarm open for three days keeps
// its place on the board, a device's retained state stays. mochi's
// default capabilities delete every retained message older than a day
// (checked each second); here one stored two days ago is still there
// after several of those checks, and so is a page in flight to a phone
// away for two days (the page ledger decides when to fall back).
func TestOldRetainedMessagesStay(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-48 * time.Hour).Unix()
	st := storeUnderTest(t, filepath.Join(dir, "broker.db"), nil, nil)
	for _, topic := range []string{"gridwatch/v1/alarms/A-old", "gridwatch/v1/devices/lb-0001/state"} {
		st.OnRetainMessage(phoneClient("lb-0001"), packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1, Retain: true},
			TopicName: topic, Payload: []byte(`{"old":true}`), Created: old}, 1)
	}
	// A page in flight to a phone that has been away for two days.
	wang := phoneClient("phone-wang")
	st.OnSessionEstablished(wang, packets.Packet{})
	p := page(7)
	p.Created = old
	st.OnQosPublish(wang, p, old, 0)
	if err := st.Stop(); err != nil {
		t.Fatal(err)
	}
	b, stop := startBroker(t, Config{Listen: freeAddr(t), AllowAnonymous: true, Handler: handlerFunc(func(context.Context, string, []byte) error { return nil }), DataDir: dir})
	if got := b.Retained("gridwatch/v1/#"); len(got) != 2 {
		t.Fatalf("retained at start: %v", got)
	}
	time.Sleep(3500 * time.Millisecond) // the expiry check runs every second
	got := b.Retained("gridwatch/v1/#")
	slices.Sort(got)
	if !slices.Equal(got, []string{"gridwatch/v1/alarms/A-old", "gridwatch/v1/devices/lb-0001/state"}) {
		t.Fatalf("retained messages two days old after the broker's expiry checks: %v; want both kept", got)
	}
	stop()
	st = storeUnderTest(t, filepath.Join(dir, "broker.db"), nil, nil)
	defer st.Stop()
	if inflight, err := st.StoredInflightMessages(); err != nil || len(inflight) != 1 || inflight[0].Client != "phone-wang" {
		t.Fatalf("the page in flight for two days: %+v, %v; want it kept for the phone", inflight, err)
	}
}
