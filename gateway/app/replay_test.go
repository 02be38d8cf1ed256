package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestJournaledEventIsReplayedAtStart covers a crash between the journal's
// fsync (the device already has its PUBACK) and the rules applying the
// event: at the next start the event is replayed from the journal, the
// alarm opens, and the page that could not go out before the broker was up
// is delivered once it is.
func TestJournaledEventIsReplayedAtStart(t *testing.T) {
	s := startSite(t, siteOptions{})
	s.stop()

	// The event reached the journal, and nothing else, before the "crash".
	j, err := journal.Open(filepath.Join(s.cfg.DataDir, "journal"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	ev := event.Event{Device: "lb-0001", Type: event.ButtonPressed, TS: now, Seq: 9, Received: now, Source: event.SourceMQTT}
	if err := j.Append(context.Background(), &ev); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// wang's phone has a persistent session from before the restart, so a
	// page sent while the broker comes up reaches it either way.
	s.start()
	phones := s.phones("wang")
	var open struct{ Alarms []alarm.Alarm }
	s.getJSON("/api/v1/alarms?state=open", &open)
	if len(open.Alarms) != 1 || open.Alarms[0].Device != "lb-0001" {
		t.Fatalf("open alarms after replay: %+v", open.Alarms)
	}
	testsvc.Eventually(t, wait, "the replayed alarm's page is delivered", func() bool {
		return len(phones["wang"].all()) >= 1
	})
	if n := phones["wang"].all()[0]; n.AlarmID != open.Alarms[0].ID || n.EventMS != now {
		t.Errorf("page %+v for alarm %s", n, open.Alarms[0].ID)
	}
}
