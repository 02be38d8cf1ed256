package countye2e

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// recorder is the test's own county-side witness: a persistent session
// (so a node loss or a reconnect costs it nothing; the cluster queues
// for it) logged in as a county view, subscribed to every site's events,
// keeping every record in the order it came.
type recorder struct {
	name string
	mu   sync.Mutex
	recs []countywire.Record
}

// newRecorder connects a witness: clean false is a persistent session
// (the cluster queues for it across reconnects), clean true a clean one
// (it sees what the cluster delivers while it is connected).
func newRecorder(t *testing.T, name, url string, clean bool) *recorder {
	t.Helper()
	r := &recorder{name: name}
	handle := func(_ paho.Client, m paho.Message) {
		var rec countywire.Record
		if json.Unmarshal(m.Payload(), &rec) != nil {
			return
		}
		r.mu.Lock()
		r.recs = append(r.recs, rec)
		r.mu.Unlock()
	}
	o := paho.NewClientOptions().AddBroker(url).SetClientID("e2e-" + name).
		SetUsername("county-view").SetPassword(countyPasswords["county-view"]).
		SetCleanSession(clean).SetOrderMatters(true).SetConnectTimeout(10 * time.Second).
		SetAutoReconnect(true).SetConnectRetry(true).SetMaxReconnectInterval(time.Second).
		SetDefaultPublishHandler(handle)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(60*time.Second) || tok.Error() != nil {
		t.Fatalf("recorder: connect: %v", tok.Error())
	}
	filter := countywire.CountyFilters("qx")[0]
	if tok := c.Subscribe(filter, 1, handle); !tok.WaitTimeout(60*time.Second) || tok.Error() != nil {
		t.Fatalf("recorder: subscribe: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return r
}

// siteLog is what the recorder got from one site, judged.
type siteLog struct {
	maxSeq     uint64
	distinct   int
	dups       int // the same record id again (allowed: at least once)
	outOfOrder int // a new record with a lower seq than one already here
	missing    []uint64
	// steps of each alarm (by the site's alarm id), first copies only,
	// in seq order, and its last state.
	steps map[string][]string
	last  map[string]alarm.Alarm
	// late lists, for each record that came after a higher seq of its
	// site, "seq<-max" (for the log).
	late []string
}

func (r *recorder) site(site string) siteLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := siteLog{steps: map[string][]string{}, last: map[string]alarm.Alarm{}}
	seen := map[uint64]bool{}
	var firsts []countywire.Record
	for _, rec := range r.recs {
		if rec.Site != site {
			continue
		}
		if seen[rec.Seq] {
			l.dups++
			continue
		}
		seen[rec.Seq] = true
		l.distinct++
		if rec.Seq < l.maxSeq {
			l.outOfOrder++
			l.late = append(l.late, fmt.Sprintf("%d<-%d", rec.Seq, l.maxSeq))
		}
		l.maxSeq = max(l.maxSeq, rec.Seq)
		firsts = append(firsts, rec)
	}
	slices.SortFunc(firsts, func(a, b countywire.Record) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, rec := range firsts {
		if rec.Kind == countywire.KindAlarm && rec.Alarm != nil {
			var a alarm.Alarm
			if json.Unmarshal(rec.Alarm.State, &a) == nil {
				l.steps[a.ID] = append(l.steps[a.ID], rec.Alarm.Step)
				l.last[a.ID] = a
			}
		}
	}
	for s := uint64(1); s <= l.maxSeq; s++ {
		if !seen[s] {
			l.missing = append(l.missing, s)
		}
	}
	return l
}

func (l siteLog) String() string {
	return fmt.Sprintf("records 1..%d: %d distinct, %d duplicate copies, %d out of order %v, missing %v", l.maxSeq, l.distinct, l.dups, l.outOfOrder, l.late, l.missing)
}
