package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"unsafe"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/uplink"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// retainedPub keeps the last payload published on each topic.
type retainedPub struct {
	mu   sync.Mutex
	last map[string][]byte
}

func (p *retainedPub) Publish(topic string, payload []byte, _ byte, _ bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[topic] = payload
	return nil
}

// busyAlarm is an alarm well into its escalation: its JSON is a few KiB.
func busyAlarm(state alarm.State) alarm.Alarm {
	a := alarm.Alarm{ID: "A0Q2V3", Rule: "panic", Severity: "red", Title: "Panic button pressed", Device: "lb-0001",
		Grid: "lh-g4-07", State: state, Count: 3, RaisedMS: 1765000000000, EventMS: 1765000000000, Step: 2}
	for i := range 24 {
		a.Timeline = append(a.Timeline, alarm.Entry{At: 1765000000000 + int64(i)*1000, Kind: alarm.EntryNotified,
			Step: i % 3, Staff: []string{"wang", "chen", "li"}, Note: fmt.Sprintf("step %d paged", i)})
		a.Notified = append(a.Notified, fmt.Sprintf("staff-%d", i))
	}
	return a
}

// TestBoardEncodesOnce: the board encodes an open alarm once, and the
// retained message and the bytes handed on to the county's uplink are
// the same bytes (one array), exactly json.Marshal of the alarm; a
// closed alarm's retained message is cleared and nothing is encoded for
// it here.
func TestBoardEncodesOnce(t *testing.T) {
	topics := wire.Topics{Root: "gridwatch/v1/lianhua"}
	for _, st := range []alarm.State{alarm.Open, alarm.Acknowledged, alarm.Resolved} {
		t.Run(string(st), func(t *testing.T) {
			pub := &retainedPub{last: map[string][]byte{}}
			var live [][]byte
			b := board{pub: pub, topics: topics, onErr: func(err error) { t.Error(err) },
				live: func(_ alarm.Alarm, state []byte) { live = append(live, state) }}
			a := busyAlarm(st)
			b.Publish(a)
			retained, ok := pub.last[topics.Alarm(a.ID)]
			if !ok || len(live) != 1 {
				t.Fatalf("retained published %v, live called %d times", ok, len(live))
			}
			if st.Closed() {
				if retained != nil || live[0] != nil {
					t.Errorf("closed: retained %q, live state %q; want both nil", retained, live[0])
				}
				return
			}
			want, _ := json.Marshal(a)
			if !bytes.Equal(retained, want) {
				t.Errorf("retained payload is not json.Marshal of the alarm:\n%s\n%s", retained, want)
			}
			if unsafe.SliceData(live[0]) != unsafe.SliceData(retained) || len(live[0]) != len(retained) {
				t.Errorf("the uplink got an encoding of its own, not the retained message's bytes")
			}
		})
	}
}

// BenchmarkBoardPublish is the desk's board hook for one change of an
// open alarm, with the county's uplink queuing it: "shared" encodes the
// alarm once for the retained message and the county's record (as the
// board does), "twice" has the uplink encode it again (as it did before).
//
//	go test -run '^$' -bench BoardPublish -benchmem ./gateway/app/
func BenchmarkBoardPublish(b *testing.B) {
	up, err := uplink.Open(uplink.Config{URL: "tcp://127.0.0.1:1", County: "qx", Site: "lianhua", ClientID: "c",
		Path: filepath.Join(b.TempDir(), "uplink.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer up.Close()
	a := busyAlarm(alarm.Open)
	up.Alarm(a) // known, unchanged from here: each op queues no record
	for _, bc := range []struct {
		name string
		live func(alarm.Alarm, []byte)
	}{
		{"shared", up.AlarmJSON},
		{"twice", func(a alarm.Alarm, _ []byte) { up.Alarm(a) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bd := board{pub: &retainedPub{last: map[string][]byte{}}, topics: wire.Topics{Root: "gridwatch/v1/lianhua"},
				onErr: func(err error) { b.Fatal(err) }, live: bc.live}
			for b.Loop() {
				bd.Publish(a)
			}
		})
	}
}
