package uplink

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func alarmRecord(t *testing.T, a alarm.Alarm) countywire.Record {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return countywire.Record{Kind: countywire.KindAlarm, AtMS: 1, Alarm: &countywire.Alarm{Step: "raised", State: b}}
}

func summaryRecord() countywire.Record {
	return countywire.Record{Kind: countywire.KindSummary, AtMS: 1, Summary: &countywire.Summary{Version: strings.Repeat("v", 200)}}
}

// TestOutboxShedsSummariesNeverAlarms: over its bound the outbox drops
// the oldest summaries first and keeps every alarm record, even when
// alarms alone are over the bound; seqs stay in order, with gaps where
// summaries went.
func TestOutboxShedsSummariesNeverAlarms(t *testing.T) {
	o, err := openOutbox(filepath.Join(t.TempDir(), "o.db"), testSite, 2000, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	shed := 0
	for i := range 20 {
		recs := []countywire.Record{summaryRecord()}
		if i%2 == 0 {
			recs = append(recs, alarmRecord(t, lifecycle("A"+string(rune('a'+i)), 1)))
		}
		n, err := o.appendRecords(recs)
		if err != nil {
			t.Fatal(err)
		}
		shed += n
	}
	got, err := o.next(1000)
	if err != nil {
		t.Fatal(err)
	}
	alarms, summaries := 0, 0
	var last uint64
	for _, s := range got {
		if s.Seq <= last {
			t.Fatalf("seq %d after %d", s.Seq, last)
		}
		last = s.Seq
		switch s.Rec.Kind {
		case countywire.KindAlarm:
			alarms++
		case countywire.KindSummary:
			summaries++
		}
	}
	if alarms != 10 {
		t.Errorf("alarm records kept: %d, want all 10", alarms)
	}
	if shed == 0 || summaries+shed != 20 {
		t.Errorf("summaries kept %d, shed %d: want some shed, 20 in all", summaries, shed)
	}
	var bytes int64
	for _, s := range got {
		bytes += int64(len(s.Data))
	}
	if n, b, oldest := o.backlog(); n != len(got) || b != bytes || oldest != 1 {
		t.Errorf("backlog %d records, %d bytes, oldest at %d: want %d, %d, 1", n, b, oldest, len(got), bytes)
	}
	if err := o.sent(got[len(got)-1].Seq); err != nil {
		t.Fatal(err)
	}
	if n, b, oldest := o.backlog(); n != 0 || b != 0 || oldest != 0 {
		t.Errorf("backlog after all sent: %d records, %d bytes, oldest %d", n, b, oldest)
	}
}

// TestOutboxSurvivesReopen: unsent records and each alarm's latest
// record are there after a reopen; sent ones are gone; seqs go on.
func TestOutboxSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	o, err := openOutbox(path, testSite, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.appendRecords([]countywire.Record{alarmRecord(t, lifecycle("A1", 1)), alarmRecord(t, lifecycle("A1", 2)), summaryRecord()}); err != nil {
		t.Fatal(err)
	}
	if err := o.sent(1); err != nil {
		t.Fatal(err)
	}
	o.close()
	if o, err = openOutbox(path, testSite, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	defer o.close()
	got, _ := o.next(10)
	if len(got) != 2 || got[0].Seq != 2 || got[0].Rec.ID != "lianhua:2" || got[1].Seq != 3 {
		t.Fatalf("after reopen: %+v, want seqs 2 and 3", got)
	}
	al, _ := o.alarms()
	if l, ok := al["A1"]; !ok || l.Rec.Seq != 2 || l.Closed {
		t.Errorf("A1's latest: %+v, want seq 2, open", l)
	}
	if _, err := o.appendRecords([]countywire.Record{summaryRecord()}); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.next(10); got[len(got)-1].Seq != 4 {
		t.Errorf("next seq after reopen: %d, want 4", got[len(got)-1].Seq)
	}
}

func TestSteps(t *testing.T) {
	for _, tc := range []struct {
		name string
		seen int
		cur  alarm.Alarm
		same bool
		want string
	}{
		{"new alarm", -1, lifecycle("A", 1), false, "raised"},
		{"new to the county, with history", -1, lifecycle("A", 3), false, "raised paged ack"},
		{"two steps at once", 1, lifecycle("A", 3), false, "paged ack"},
		{"resolve", 4, lifecycle("A", 5), false, "resolve"},
		{"no news", 3, lifecycle("A", 3), true, ""},
		{"a change without an entry", 3, lifecycle("A", 3), false, "changed"},
		{"set back by a crash", 4, lifecycle("A", 2), false, "changed"},
		{"grown again after a crash", 4, lifecycle("A", 5), false, "resolve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(Steps(tc.seen, tc.cur, tc.same), " "); got != tc.want {
				t.Errorf("Steps = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestUnclosedAfterRestart: an alarm the county was told is open is
// listed by Unclosed after a restart until it is told closed, so that a
// close a crash lost in memory still reaches the county.
func TestUnclosedAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uplink.db")
	open := func() *Uplink {
		u, err := Open(Config{URL: "tcp://127.0.0.1:1", County: testCounty, Site: testSite, ClientID: "c", Path: path})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := open()
	u.Alarm(lifecycle("A1", 3))
	u.Alarm(lifecycle("A2", 5))
	if !u.flush() {
		t.Fatal("not stored")
	}
	u.Alarm(lifecycle("A1", 5)) // resolved, then a crash: never stored
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	u = open()
	defer u.Close()
	if got := u.Unclosed(); len(got) != 1 || got[0] != "A1" {
		t.Fatalf("Unclosed after restart = %v, want [A1]", got)
	}
	u.Sync([]alarm.Alarm{lifecycle("A1", 5)})
	if !u.flush() {
		t.Fatal("not stored")
	}
	recs, _ := u.box.next(100)
	last := recs[len(recs)-1].Rec
	if last.Alarm == nil || last.Alarm.Step != "resolve" || len(u.Unclosed()) != 0 {
		t.Errorf("after sync: last record %+v, unclosed %v; want A1's resolve, none", last, u.Unclosed())
	}
}
