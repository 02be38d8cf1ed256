package mqttlink

import (
	"context"
	"hash/fnv"
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestPressNotBehindStaffReply: a staff reply is handed over only once
// the desk stored the action, which takes a commit or two. A press whose
// device would share the reply's lane (by the hash of the ids) is handed
// over while the reply still waits.
func TestPressNotBehindStaffReply(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	topics := wire.Topics{Root: wire.DefaultRoot}
	const workers = 8
	lane := func(id string) uint32 {
		h := fnv.New32a()
		h.Write([]byte(id))
		return h.Sum32() % workers
	}
	staff, dev := "wang", ""
	for i := range 1000 {
		if id := "lb-" + strconv.Itoa(i); lane(id) == lane(staff) {
			dev = id
			break
		}
	}
	release := make(chan struct{})
	replying := make(chan struct{}, 1)
	got := make(chan string, 16)
	l, err := New(Config{
		URL: mq.URL, ClientID: "gw-" + strconv.FormatInt(time.Now().UnixNano(), 36), Topics: topics,
		DataDir: t.TempDir(), EventWorkers: workers,
		Handler: handlerFunc(func(ctx context.Context, topic string, _ []byte) error {
			if topic == topics.Reply(staff) {
				replying <- struct{}{}
				select { // the action's store takes its time
				case <-release:
				case <-ctx.Done():
				}
			}
			got <- topic
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() {
		close(release)
		cancel()
		<-done
	}()
	testsvc.Eventually(t, patience, "link up", func() bool { return l.Ready() == nil })

	phone := device(t, mq.URL, "phone-"+staff)
	if tok := phone.Publish(topics.Reply(staff), 1, false, `{"alarm_id":"A1","action":"resolve"}`); !tok.WaitTimeout(patience) || tok.Error() != nil {
		t.Fatalf("reply: %v", tok.Error())
	}
	select {
	case <-replying:
	case <-time.After(patience):
		t.Fatal("the reply never reached the handler")
	}
	box := device(t, mq.URL, dev)
	if tok := box.Publish(topics.Event(dev), 1, false, `{"type":"button.pressed"}`); !tok.WaitTimeout(patience) || tok.Error() != nil {
		t.Fatalf("press: %v", tok.Error())
	}
	select {
	case topic := <-got:
		if topic != topics.Event(dev) {
			t.Fatalf("handed over %s first, want the press", topic)
		}
	case <-time.After(patience):
		t.Fatalf("the press of %s waited behind the staff reply in its lane", dev)
	}
}
