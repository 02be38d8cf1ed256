package broker

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// inlineClient is the broker's own client, as mochi makes it: the
// gateway's publications (the alarm board) come from it.
func inlineClient() *mqtt.Client {
	cl := &mqtt.Client{ID: mqtt.InlineClientId}
	cl.Net.Inline = true
	return cl
}

// TestRecordsBehindShareOneCommit: records written behind (in-flight
// pages, their acknowledgements, the gateway's own retained board) wait
// for company instead of each taking a commit and its fdatasyncs, and a
// durable record (a subscription) takes them along at once.
func TestRecordsBehindShareOneCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broker.db")
	var commits, records atomic.Int32
	s := newSessionStoreForTest(t, path, time.Hour, func(real func(map[string][]byte) error) func(map[string][]byte) error {
		return func(b map[string][]byte) error {
			commits.Add(1)
			records.Add(int32(len(b)))
			return real(b)
		}
	})
	phone, board := phoneClient("phone-wang"), inlineClient()
	for i := uint16(1); i <= 20; i++ {
		s.OnQosPublish(phone, page(i), 1, 0)
		if i%2 == 0 {
			s.OnQosComplete(phone, page(i))
		}
		topic := "gridwatch/v1/alarms/A" + string(rune('A'+i))
		s.OnRetainMessage(board, packets.Packet{TopicName: topic, Payload: []byte(`{}`)}, 1)
		if i%4 == 0 {
			s.OnRetainMessage(board, packets.Packet{TopicName: topic}, -1) // closed
		}
	}
	if n := commits.Load(); n != 0 {
		t.Fatalf("%d commits of records written behind before their time (want them to wait for company)", n)
	}
	sub := packets.Packet{Filters: packets.Subscriptions{{Filter: "gridwatch/v1/staff/wang/notify", Qos: 1}}}
	s.OnSubscribed(phone, sub, []byte{1}) // durable: returns once committed
	if n := commits.Load(); n != 1 {
		t.Fatalf("%d commits after a durable record, want 1 taking everything", n)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s2 := storeUnderTest(t, path, nil, nil)
	defer s2.Stop()
	inflight, _ := s2.StoredInflightMessages()
	retained, _ := s2.StoredRetainedMessages()
	subs, _ := s2.StoredSubscriptions()
	if len(inflight) != 10 || len(retained) != 15 || len(subs) != 1 {
		t.Fatalf("stored %d in flight (want 10), %d retained (want 15), %d subscriptions (want 1)", len(inflight), len(retained), len(subs))
	}
}

// TestBoardIsWrittenBehind: the gateway's own retained message returns
// while a commit is held (the board never waits for broker.db); a
// device's retained message still waits for its commit (TestPublishDoesNotWaitForTheStore).
func TestBoardIsWrittenBehind(t *testing.T) {
	held := make(chan struct{})
	entered := make(chan struct{}, 1)
	var first atomic.Bool
	s := newSessionStoreForTest(t, filepath.Join(t.TempDir(), "broker.db"), 0, func(real func(map[string][]byte) error) func(map[string][]byte) error {
		return func(b map[string][]byte) error {
			if first.CompareAndSwap(false, true) {
				entered <- struct{}{}
				<-held
			}
			return real(b)
		}
	})
	s.OnQosPublish(phoneClient("phone-wang"), page(1), 1, 0)
	<-entered // the writer is stuck in its first commit
	returned := make(chan struct{})
	go func() {
		s.OnRetainMessage(inlineClient(), packets.Packet{TopicName: "gridwatch/v1/alarms/A1", Payload: []byte(`{}`)}, 1)
		s.OnRetainMessage(inlineClient(), packets.Packet{TopicName: "gridwatch/v1/alarms/A1"}, -1)
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(30 * time.Second):
		t.Fatal("the board's retained message waited for broker.db")
	}
	close(held)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// newSessionStoreForTest is storeUnderTest with records behind waiting
// up to behind for their commit.
func newSessionStoreForTest(t *testing.T, path string, behind time.Duration, wrap func(real func(map[string][]byte) error) func(map[string][]byte) error) *sessionStore {
	t.Helper()
	return storeUnderTest(t, path, wrap, nil, func(s *sessionStore) { s.behindFor = behind })
}
