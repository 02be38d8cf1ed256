package county

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// siteHealth is site's health as v holds it.
func siteHealth(v *View, site string) (SiteHealth, bool) {
	for _, h := range v.Sites() {
		if h.Site == site {
			return h, true
		}
	}
	return SiteHealth{}, false
}

// TestViewKeepsOpenAlarmsWhenRetainedStateIsLost: the view reconnects to a
// broker that lost its retained state (a fresh NATS on the same port, as
// one that answers a SUBSCRIBE before its leaders are elected would
// look); it keeps the open alarm through several rounds of its settle
// time, until the site's summary says the alarm closed.
func TestViewKeepsOpenAlarmsWhenRetainedStateIsLost(t *testing.T) {
	n := startNATS(t)
	g := &gw{site: "lianhua"}
	tp := g.topics()
	pub := mqttClient(t, n.url(), "gw-before")
	a1 := g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0])
	publish(t, pub, tp.Events(), false, a1)
	publish(t, pub, tp.Alarm("A1"), true, a1)
	publish(t, pub, tp.Summary(), true, g.summaryWith(t, "A1"))
	pub.Disconnect(100)

	const settle = 200 * time.Millisecond
	v := startView(t, n.url(), Config{Settle: settle})
	testsvc.Eventually(t, 30*time.Second, "A1 in the view, the site complete", func() bool {
		h, ok := siteHealth(v, "lianhua")
		return slices.Equal(openIDs(v), []string{"lianhua/A1"}) && ok && !h.Incomplete
	})

	n.stop()
	n.forget()
	testsvc.Eventually(t, 60*time.Second, "the view noticing the broker gone", func() bool { return v.Ready() != nil })
	n.start()
	testsvc.Eventually(t, 60*time.Second, "the view subscribed again", func() bool { return v.Ready() == nil })
	// The broker sends no retained state at all. The view used to drop
	// A1 once the retained flow had been quiet for the settle time; now
	// A1 stays, and the site shows incomplete until a summary comes.
	for end := time.Now().Add(15 * settle); time.Now().Before(end); time.Sleep(settle / 4) {
		if got := openIDs(v); !slices.Equal(got, []string{"lianhua/A1"}) {
			t.Fatalf("open after reconnecting to a broker without retained state = %v; want A1 kept", got)
		}
	}
	if h, _ := siteHealth(v, "lianhua"); !h.Incomplete {
		t.Errorf("site health after the reconnect = %+v; want incomplete (no summary since)", h)
	}

	// The site's next summary still lists A1: it stays, the site is
	// complete again.
	pub = mqttClient(t, n.url(), "gw-after")
	publish(t, pub, tp.Events(), false, g.summaryWith(t, "A1"))
	testsvc.Eventually(t, 30*time.Second, "the site complete again", func() bool {
		h, _ := siteHealth(v, "lianhua")
		return !h.Incomplete && h.OpenAlarms == 1
	})
	// A2 is raised; A1 closes, and its closing record is lost (as in a
	// cut): the next summary, which no longer lists A1, closes it.
	a2 := g.alarmRecord(t, countywire.StepRaised, lifecycle("A2")[0])
	publish(t, pub, tp.Events(), false, a2)
	publish(t, pub, tp.Alarm("A2"), true, a2)
	g.seq++ // A1's resolve, never delivered
	publish(t, pub, tp.Events(), false, g.summaryWith(t, "A2"))
	testsvc.Eventually(t, 30*time.Second, "A1 closed by the summary, A2 open", func() bool {
		return slices.Equal(openIDs(v), []string{"lianhua/A2"})
	})
}

// TestViewAsksAgainForMissingRetainedAlarms: the view's subscription
// brought no retained alarms (NATS acknowledges a SUBSCRIBE without them
// while it elects leaders; here the view leaves alarm/+ out); the site's
// summary lists A1, so the view marks the site incomplete, asks the
// cluster for the site's retained alarms again and fills A1 in.
func TestViewAsksAgainForMissingRetainedAlarms(t *testing.T) {
	url := natsNode(t)
	g := &gw{site: "lianhua"}
	tp := g.topics()
	pub := mqttClient(t, url, "gw")
	a1 := g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0])
	publish(t, pub, tp.Alarm("A1"), true, a1)

	v := startViewWith(t, url, Config{Settle: 200 * time.Millisecond}, func(v *View) {
		v.filters = slices.DeleteFunc(v.filters, func(f string) bool { return f == countywire.CountyFilters(testCounty)[1] })
	})
	publish(t, pub, tp.Events(), false, g.summaryWith(t, "A1"))
	testsvc.Eventually(t, 30*time.Second, "A1 filled in from the site's retained state", func() bool {
		h, _ := siteHealth(v, "lianhua")
		return slices.Equal(openIDs(v), []string{"lianhua/A1"}) && !h.Incomplete && h.MissingAlarms == 0
	})
	if n := testutil.ToFloat64(v.m.refetched); n < 1 {
		t.Errorf("refetched %v sites; want lianhua asked for again", n)
	}
}
