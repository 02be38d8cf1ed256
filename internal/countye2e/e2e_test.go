package countye2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// sites are the three communities of the test county "qx".
var sites = []string{"lianhua", "taoyuan", "xinhe"}

// pressed is one press and the alarm it raised at its site.
type pressed struct {
	site, dev, id string
	at            time.Time
}

// TestCountyEndToEnd is the county tier with real processes: a 3-node
// NATS cluster with deploy/county's permissions, three gateways and two
// county views, all through a load balancer, and the test's own
// witnesses of every record on the wire.
//
//  1. Presses at all three sites appear on both views (within a second
//     in the full variant; within a bound a busy machine meets in the
//     short one, with the figures logged).
//  2. An ack from the county (view 1, as cmd1) reaches the site, which
//     stops paging: its grid leader's step never comes, while the same
//     step of an alarm nobody acknowledged does.
//  3. One NATS node is killed (-9) while presses go on, and restarted.
//  4. One gateway's link to the county is cut (two minutes in the full
//     variant): it keeps escalating locally (step 0 and step 1 pages, a
//     local ack, arrive, resolve), the county does not see it yet.
//  5. Afterwards both views hold every alarm exactly as its site does:
//     the same state and the same timeline, step for step, none twice;
//     and the test's witnesses on the cluster have every record of every
//     site (see judge).
func TestCountyEndToEnd(t *testing.T) {
	bin := gridwatchd(t)
	cutFor, downFor := 12*time.Second, 5*time.Second
	if full() {
		cutFor, downFor = 2*time.Minute, 15*time.Second
	}
	cluster := countyNATS(t, 3)
	var nodes []string
	for _, n := range cluster.Nodes {
		nodes = append(nodes, n.MQTTAddr)
	}
	lb := newBalancer(t, nodes)
	// Two witnesses: a persistent session through the balancer, and a
	// clean session on n1, which is never killed.
	rec := newRecorder(t, "witness", lb.url(), false)
	direct := newRecorder(t, "direct", cluster.Nodes[0].MQTTURL, true)
	gws := map[string]*gateway{}
	for _, s := range sites {
		gws[s] = newGateway(t, bin, s, lb.addr)
	}
	hash := hashPassword(t, bin, hallPassword)
	views := []*view{newView(t, bin, "view-1", lb.url(), hash), newView(t, bin, "view-2", lb.url(), hash)}
	for _, v := range views {
		testsvc.Eventually(t, 60*time.Second, v.name+": every site online", func() bool {
			on := v.online()
			return on["lianhua"] && on["taoyuan"] && on["xinhe"]
		})
	}
	var all []pressed
	record := func(g *gateway, dev string, at time.Time) pressed {
		p := pressed{site: g.site, dev: dev, id: g.alarmOf(dev), at: at}
		all = append(all, p)
		return p
	}

	// 1. Presses at all three sites, on both views.
	type seen struct {
		p    pressed
		view string
		took time.Duration
	}
	var (
		mu    sync.Mutex
		shown []seen
		wg    sync.WaitGroup
	)
	first := map[string]pressed{}
	for _, s := range sites {
		dev, at := gws[s].press()
		p := pressed{site: s, dev: dev, at: at}
		first[s] = p
		for _, v := range views {
			wg.Go(func() {
				deadline := at.Add(60 * time.Second)
				for time.Now().Before(deadline) {
					if v.hasDevice(s, dev) {
						mu.Lock()
						shown = append(shown, seen{p, v.name, time.Since(at)})
						mu.Unlock()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	var slowest time.Duration
	for _, s := range shown {
		t.Logf("press at %s (%s) on %s after %v", s.p.site, s.p.dev, s.view, s.took.Round(time.Millisecond))
		slowest = max(slowest, s.took)
	}
	if len(shown) != len(sites)*len(views) {
		t.Fatalf("presses shown on the views: %d of %d within 60 s", len(shown), len(sites)*len(views))
	}
	t.Logf("slowest press → both views: %v", slowest.Round(time.Millisecond))
	if full() && slowest > time.Second {
		t.Errorf("a press took %v to reach a county view; want within a second", slowest)
	}
	for _, s := range sites {
		first[s] = record(gws[s], first[s].dev, first[s].at)
	}

	// 2. A county-level ack stops the local paging.
	lh, ty := first["lianhua"], first["taoyuan"]
	code, body := views[0].act("lianhua", lh.id, "ack")
	if code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("ack from the county: %d %s", code, body)
	}
	testsvc.Eventually(t, 30*time.Second, "lianhua's alarm acknowledged by cmd1 at the site", func() bool {
		a := gws["lianhua"].alarm(lh.id)
		return a.State == alarm.Acknowledged && slices.ContainsFunc(a.Timeline, func(e alarm.Entry) bool { return e.Kind == alarm.EntryAck && e.By == "cmd1" })
	})
	for _, v := range views {
		testsvc.Eventually(t, 30*time.Second, v.name+": the county's ack", func() bool {
			a, ok := v.alarm("lianhua", lh.id)
			return ok && a.State == alarm.Acknowledged
		})
	}
	testsvc.Eventually(t, stepOneAfter+60*time.Second, "taoyuan's unacknowledged alarm escalating to its grid leader (control)", func() bool {
		return gws["taoyuan"].phones["l1"].paged(ty.id, 1)
	})
	// taoyuan's step 1 came; lianhua's, raised at about the same time, is
	// due as well: give it the same again before judging.
	time.Sleep(3 * time.Second)
	if gws["lianhua"].phones["l1"].paged(lh.id, 1) {
		t.Errorf("lianhua's grid leader was paged (step 1) after the county acknowledged the alarm")
	}
	if !gws["lianhua"].phones["m1"].paged(lh.id, 0) {
		t.Errorf("lianhua's grid member never got step 0 of %s", lh.id)
	}

	// 3. One NATS node killed mid-run.
	record(gws["lianhua"].pressNow())
	record(gws["taoyuan"].pressNow())
	killed := cluster.Nodes[1]
	killed.Kill()
	t.Logf("killed NATS %s", killed.Name)
	record(gws["lianhua"].pressNow())
	record(gws["taoyuan"].pressNow())
	time.Sleep(downFor)
	killed.Start()
	record(gws["lianhua"].pressNow())

	// 4. xinhe's link to the county cut.
	xh := gws["xinhe"]
	xh.link.Cut()
	cutAt := time.Now()
	c1 := record(xh.pressNow())
	c2 := record(xh.pressNow())
	testsvc.Eventually(t, 30*time.Second, "xinhe paging step 0 locally while cut off", func() bool {
		return xh.phones["m1"].paged(c1.id, 0) && xh.phones["room1"].paged(c1.id, 0) && xh.phones["m1"].paged(c2.id, 0)
	})
	for _, action := range []string{"ack", "arrive", "resolve"} {
		xh.act(c2.id, action, "m1")
	}
	testsvc.Eventually(t, stepOneAfter+60*time.Second, "xinhe escalating to step 1 locally while cut off", func() bool {
		return xh.phones["l1"].paged(c1.id, 1)
	})
	for _, v := range views {
		if v.hasDevice("xinhe", c1.dev) {
			t.Errorf("%s shows %s while xinhe is cut off", v.name, c1.dev)
		}
	}
	if rest := cutFor - time.Since(cutAt); rest > 0 {
		time.Sleep(rest)
	}
	xh.link.Restore()
	t.Logf("xinhe cut off for %v", time.Since(cutAt).Round(time.Second))

	// 5. The county has everything, in order, none twice.
	testsvc.Eventually(t, 3*time.Minute, "every uplink's backlog sent", func() bool {
		for _, s := range sites {
			if n, ok := gws[s].backlog(); !ok || n != 0 {
				return false
			}
		}
		return true
	})
	var last string
	ok := eventually(3*time.Minute, func() bool {
		last = judge(gws, views, rec, direct, all)
		return last == ""
	})
	for _, s := range sites {
		t.Logf("witness (persistent, via the balancer), %s: %s", s, rec.site(s))
		t.Logf("witness (clean, on n1), %s: %s", s, direct.site(s))
	}
	if !ok {
		t.Fatalf("after the faults the county does not match the sites:\n%s", last)
	}
	// The sites' summaries list their open alarms and each view holds
	// them all: no site is incomplete.
	for _, v := range views {
		var missing []string
		if !eventually(time.Minute, func() bool { missing = v.incomplete(sites); return len(missing) == 0 }) {
			t.Errorf("%s shows sites incomplete after the faults: %v", v.name, missing)
		}
	}
}

// pressNow is press for record: the box and when.
func (g *gateway) pressNow() (*gateway, string, time.Time) {
	g.t.Helper()
	dev, at := g.press()
	return g, dev, at
}

// judge compares what the county has with what the sites have and
// returns every difference ("" when none):
//   - the clean witness on n1 (never killed) has every record of every
//     site exactly once in seq order: the uplinks sent them all, in order;
//   - the persistent witness (through the balancer, across the node loss)
//     has every record too; the order in which the cluster redelivers to
//     a persistent session around a node loss is not judged (docs/county.md);
//   - both views hold every alarm in the site's state, with the site's
//     timeline entry for entry: every step, in order, none twice.
func judge(gws map[string]*gateway, views []*view, persistent, direct *recorder, all []pressed) string {
	var probs []string
	for _, s := range sites {
		d, p := direct.site(s), persistent.site(s)
		if d.maxSeq == 0 || len(d.missing) > 0 || d.outOfOrder > 0 {
			probs = append(probs, fmt.Sprintf("clean witness, %s: %s", s, d))
		}
		if p.maxSeq < d.maxSeq || len(p.missing) > 0 {
			probs = append(probs, fmt.Sprintf("persistent witness, %s: %s", s, p))
		}
	}
	for _, p := range all {
		site := gws[p.site].alarm(p.id)
		l := direct.site(p.site)
		steps := l.steps[p.id]
		if len(steps) == 0 || steps[0] != "raised" {
			probs = append(probs, fmt.Sprintf("clean witness, %s/%s: steps %v, want raised first", p.site, p.id, steps))
		}
		if w, ok := l.last[p.id]; !ok || !sameTimeline(w.Timeline, site.Timeline) || w.State != site.State {
			probs = append(probs, fmt.Sprintf("clean witness, %s/%s: last state %s %s, the site's %s %s", p.site, p.id, w.State, kinds(w.Timeline), site.State, kinds(site.Timeline)))
		}
		for _, v := range views {
			a, ok := v.alarm(p.site, p.id)
			switch {
			case !ok:
				probs = append(probs, fmt.Sprintf("%s: no %s/%s", v.name, p.site, p.id))
			case a.State != site.State || !sameTimeline(a.Timeline, site.Timeline):
				probs = append(probs, fmt.Sprintf("%s, %s/%s: %s %s; the site has %s %s", v.name, p.site, p.id, a.State, kinds(a.Timeline), site.State, kinds(site.Timeline)))
			}
		}
	}
	return strings.Join(probs, "\n")
}

// sameTimeline: the same entries (kind, time, who, step), in the same order.
func sameTimeline(a, b []alarm.Entry) bool {
	return slices.EqualFunc(a, b, func(x, y alarm.Entry) bool {
		return x.Kind == y.Kind && x.At == y.At && x.By == y.By && x.Step == y.Step
	})
}

func kinds(tl []alarm.Entry) string {
	var k []string
	for _, e := range tl {
		k = append(k, string(e.Kind))
	}
	return "[" + strings.Join(k, " ") + "]"
}

// eventually polls cond until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}
