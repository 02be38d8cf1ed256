package broker

import (
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestClientIDTakeoverAcrossUsers is hole 2: any credential could connect
// with a staff phone's client id, kick the phone and take its session.
// Now a client id held by one user (connected, or a persistent session
// kept across a broker restart) is refused to another, counted; the same
// user reconnecting still takes over its own session.
func TestClientIDTakeoverAcrossUsers(t *testing.T) {
	sb := newSecurityBroker(t)
	phone := startSub(t, sb.addr, "-i", "phone-wang", "-u", "wang", "-P", "pw-wang", "-c", "-q", "1",
		"-t", "gridwatch/v1/staff/wang/notify", "-v")
	if !phone.connected() {
		t.Fatalf("phone refused:\n%s", phone.output())
	}

	// Another user, with valid credentials, takes the phone's id.
	evil := startSub(t, sb.addr, "-i", "phone-wang", "-u", "lb-0001", "-P", "pw-lb-0001", "-c", "-t", "gridwatch/v1/dev/lb-0001/cmd")
	if evil.connected() {
		t.Error("another user took the phone's client id")
	}
	if sb.refused("takeover") != 1 {
		t.Errorf("refused_total{reason=takeover} = %v, want 1", sb.refused("takeover"))
	}
	// The phone still gets its pages.
	if err := sb.b.Publish("gridwatch/v1/staff/wang/notify", []byte(`{"alarm_id":"A-1"}`), 1, false); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 10*time.Second, "the phone gets its page", func() bool { return len(phone.lines(`{"alarm_id":"A-1"}`)) > 0 })

	// A device's own name is its own client id, even when it is away.
	squat := startSub(t, sb.addr, "-i", "lb-0002", "-u", "lb-0001", "-P", "pw-lb-0001", "-t", "gridwatch/v1/dev/lb-0001/cmd")
	if squat.connected() {
		t.Error("lb-0001 took lb-0002's name as its client id")
	}

	// The phone goes away; its persistent session stays bound to wang.
	phone.kill(t)
	waitFor(t, func() bool { cl, ok := sb.b.server.Clients.Get("phone-wang"); return ok && cl.Closed() })
	evil = startSub(t, sb.addr, "-i", "phone-wang", "-u", "lb-0001", "-P", "pw-lb-0001", "-c", "-t", "gridwatch/v1/dev/lb-0001/cmd")
	if evil.connected() {
		t.Error("another user took the away phone's persistent session")
	}

	// wang reconnects, twice (the second takes over the first): normal.
	again := startSub(t, sb.addr, "-i", "phone-wang", "-u", "wang", "-P", "pw-wang", "-c", "-q", "1", "-t", "gridwatch/v1/staff/wang/notify")
	if !again.connected() {
		t.Fatalf("wang could not take back its own session:\n%s", again.output())
	}
	third := startSub(t, sb.addr, "-i", "phone-wang", "-u", "wang", "-P", "pw-wang", "-c", "-q", "1", "-t", "gridwatch/v1/staff/wang/notify")
	if !third.connected() {
		t.Fatalf("wang could not take over its own connected session:\n%s", third.output())
	}
	if got := sb.refused("takeover"); got != 3 {
		t.Errorf("refused_total{reason=takeover} = %v, want 3", got)
	}
	testsvc.LintGathered(t, sb.reg)
}

// TestTakeoverBindingSurvivesRestart: broker.db keeps a persistent
// session's username, so after a gateway restart the away phone's id is
// still bound to it.
func TestTakeoverBindingSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := Config{Listen: addr, Handler: &recorder{}, TopicRoot: "gridwatch/v1", DataDir: dir,
		Users: plainUsers("wang", "pw-wang", "lb-0001", "pw-lb-0001")}
	b, stop := startBroker(t, cfg)
	phone := startSub(t, addr, "-i", "phone-wang", "-u", "wang", "-P", "pw-wang", "-c", "-q", "1", "-t", "gridwatch/v1/staff/wang/notify")
	if !phone.connected() {
		t.Fatalf("phone refused:\n%s", phone.output())
	}
	phone.kill(t)
	waitFor(t, func() bool { cl, ok := b.server.Clients.Get("phone-wang"); return ok && cl.Closed() })
	stop()

	startBroker(t, cfg)
	evil := startSub(t, addr, "-i", "phone-wang", "-u", "lb-0001", "-P", "pw-lb-0001", "-c", "-t", "gridwatch/v1/dev/lb-0001/cmd")
	if evil.connected() {
		t.Error("after a restart, another user took the away phone's persistent session")
	}
	back := startSub(t, addr, "-i", "phone-wang", "-u", "wang", "-P", "pw-wang", "-c", "-q", "1", "-t", "gridwatch/v1/staff/wang/notify")
	if !back.connected() {
		t.Fatalf("after a restart, wang could not take back its session:\n%s", back.output())
	}
}

// TestNobodyTakesTheGatewaysClientID: even with anonymous clients allowed
// (loopback), no client may take the id of the gateway's own inline
// client, through which every page and alarm is published.
func TestNobodyTakesTheGatewaysClientID(t *testing.T) {
	addr := freeAddr(t)
	b, _ := startBroker(t, Config{Listen: addr, AllowAnonymous: true, Handler: &recorder{}})
	watcher := startSub(t, addr, "-i", "board", "-t", "gridwatch/v1/alarms/#", "-v")
	evil := startSub(t, addr, "-i", "inline", "-t", "x")
	if evil.connected() {
		t.Error("a client took the gateway's inline client id")
	}
	if err := b.Publish("gridwatch/v1/alarms/A-1", []byte(`{"id":"A-1"}`), 1, false); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 10*time.Second, "the board gets the gateway's publish", func() bool {
		return len(watcher.lines(`{"id":"A-1"}`)) > 0
	})
	if got := testutilValue(b, "takeover"); got != 1 {
		t.Errorf("refused_total{reason=takeover} = %v, want 1", got)
	}
}
