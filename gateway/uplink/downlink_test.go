package uplink

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	bolt "go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

func testDownlink(t testing.TB, reqs Requests) *downlink {
	t.Helper()
	return openDownlink(t, filepath.Join(t.TempDir(), "uplink.db"), reqs, time.Now)
}

// withMaxAge sets the downlink's RequestMaxAge (0: the default, lenient
// with undated requests).
func withMaxAge(d *downlink, maxAge time.Duration) *downlink {
	d.u.cfg.RequestMaxAge = maxAge
	return d
}

// openDownlink is a downlink on the outbox file at path (closed at the
// end of the test, or by hand to restart).
func openDownlink(t testing.TB, path string, reqs Requests, now func() time.Time) *downlink {
	t.Helper()
	box, err := openOutbox(path, testSite, 0, now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = box.close() })
	u := &Uplink{cfg: Config{Requests: reqs, Now: now, Logger: slog.New(slog.DiscardHandler)}, box: box}
	if u.m, err = newMetrics(nil, nil, now); err != nil {
		t.Fatal(err)
	}
	return newDownlink(u, func(countywire.Reply) {})
}

// FuzzRequest: whatever the county sends, the downlink neither panics
// nor acts on a request that fails Check, and a reply carries the
// request's own id.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":"r1","by":"cmd1","action":"ack","alarm_id":"A1","at_ms":1}`,
		`{"id":"r2","by":"cmd1","action":"broadcast","grid":"lianhua","text":"暴雨"}`,
		`{"id":"r3","by":"cmd1","action":"emergency","grid":"lianhua","on":true}`,
		`{"id":"r4","by":"cmd1","action":"delete"}`,
		`{"id":["x"]}`, `null`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		reqs := &fakeRequests{}
		d := testDownlink(t, reqs)
		rep, ok := d.handle(context.Background(), payload)
		var req countywire.Request
		decoded := json.Unmarshal(payload, &req) == nil && len(payload) <= countywire.MaxRequestBytes
		if ok && decoded && rep.ID != req.ID {
			t.Fatalf("reply id %q to request id %q", rep.ID, req.ID)
		}
		if done, _ := reqs.counts(); done > 0 && (!decoded || req.Check() != nil) {
			t.Fatalf("acted on %q", payload)
		}
		if rep.Status == 0 {
			t.Fatalf("reply without a status to %q", payload)
		}
	})
}

// TestRepeatAnsweredOnce: a request id is acted on once; its repeat gets
// the first reply again, also after the gateway restarted (the ids and
// replies are kept in the outbox file), and what is kept is bounded.
func TestRepeatAnsweredOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uplink.db")
	reqs := &fakeRequests{}
	d := openDownlink(t, path, reqs, time.Now)
	ack := []byte(`{"id":"r1","by":"cmd1","action":"ack","alarm_id":"A1"}`)
	first, _ := d.handle(t.Context(), ack)
	again, _ := d.handle(t.Context(), ack)
	if done, _ := reqs.counts(); done != 1 || first != again {
		t.Fatalf("done %d times; replies %+v then %+v", done, first, again)
	}
	if err := d.u.box.close(); err != nil { // the gateway stops
		t.Fatal(err)
	}
	d = openDownlink(t, path, reqs, time.Now) // and starts again
	after, _ := d.handle(t.Context(), ack)
	if done, _ := reqs.counts(); done != 1 || after != first {
		t.Fatalf("after a restart: done %d times; reply %+v, first %+v", done, after, first)
	}
	for i := range remembered + 10 {
		d.handle(t.Context(), fmt.Appendf(nil, `{"id":"x%d","by":"cmd1","action":"ack","alarm_id":"A1"}`, i))
	}
	if n := keptReplies(t, d.u.box); n != remembered {
		t.Errorf("remembers %d ids, want %d", n, remembered)
	}
	if _, ok, _ := d.u.box.reply("x0"); ok {
		t.Error("the oldest id is still kept beyond the bound")
	}
	if _, ok, _ := d.u.box.reply(fmt.Sprintf("x%d", remembered+9)); !ok {
		t.Error("the newest id is not kept")
	}
}

// TestRepliesForgottenAfterADay: kept replies older than replyKeep are
// dropped when the outbox is opened.
func TestRepliesForgottenAfterADay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uplink.db")
	now := time.Now()
	clock := func() time.Time { return now }
	d := openDownlink(t, path, &fakeRequests{}, clock)
	d.handle(t.Context(), []byte(`{"id":"old","by":"cmd1","action":"ack","alarm_id":"A1"}`))
	if err := d.u.box.close(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(replyKeep + time.Minute)
	d = openDownlink(t, path, &fakeRequests{}, clock)
	if n := keptReplies(t, d.u.box); n != 0 {
		t.Errorf("%d replies kept after a day, want 0", n)
	}
}

func keptReplies(t *testing.T, o *outbox) int {
	t.Helper()
	var n, m int
	if err := o.db.View(func(tx *bolt.Tx) error {
		n, m = tx.Bucket(bucketReplies).Stats().KeyN, tx.Bucket(bucketReplyOrder).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != m {
		t.Fatalf("%d replies, %d in order", n, m)
	}
	return n
}

// TestStaleRequestRefused: a request made longer ago than RequestMaxAge
// (or too far in the future) is refused with 409 and its reason, audited
// and counted, and not acted on; within the bounds it is. An undated
// request is refused the same way when RequestMaxAge is set (a replayed
// or forged old request must not pass by leaving at_ms out), and acted
// on when it is 0 (the default bound for dated requests, as the contract
// always had it).
func TestStaleRequestRefused(t *testing.T) {
	now := time.Date(2026, 12, 6, 13, 0, 0, 0, time.UTC)
	const set = 5 * time.Minute
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		at     time.Time
		status int
		why    string
	}{
		{"fresh", 0, now.Add(-time.Second), 200, ""},
		{"nine minutes old", 0, now.Add(-9 * time.Minute), 200, ""},
		{"an hour in a broker", 0, now.Add(-time.Hour), 409, "stale request: made 1h0m0s ago"},
		{"just over the bound", 0, now.Add(-DefaultRequestMaxAge - time.Second), 409, "stale request"},
		{"a little ahead (skew)", 0, now.Add(time.Minute), 200, ""},
		{"far ahead", 0, now.Add(time.Hour), 409, "in the future"},
		{"undated, max age 0", 0, time.Time{}, 200, ""},
		{"set: fresh", set, now.Add(-4 * time.Minute), 200, ""},
		{"set: over its bound", set, now.Add(-6 * time.Minute), 409, "stale request: made 6m0s ago (at_ms"},
		{"set: a little ahead (skew)", set, now.Add(time.Minute), 200, ""},
		{"set: far ahead", set, now.Add(requestAhead + time.Second), 409, "in the future"},
		{"set: undated", set, time.Time{}, 409, "undated request: no at_ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs := &fakeRequests{}
			d := withMaxAge(openDownlink(t, filepath.Join(t.TempDir(), "uplink.db"), reqs, func() time.Time { return now }), tc.maxAge)
			payload := []byte(`{"id":"s1","by":"cmd1","action":"broadcast","grid":"g","text":"x"}`)
			if !tc.at.IsZero() {
				payload = fmt.Appendf(nil, `{"id":"s1","by":"cmd1","action":"broadcast","grid":"g","text":"x","at_ms":%d}`, tc.at.UnixMilli())
			}
			rep, ok := d.handle(t.Context(), payload)
			done, refused := reqs.counts()
			if !ok || rep.Status != tc.status || !strings.Contains(rep.Error, tc.why) {
				t.Fatalf("reply %+v, want status %d with %q", rep, tc.status, tc.why)
			}
			stale := testutil.ToFloat64(d.u.m.stale)
			answered := testutil.ToFloat64(d.u.m.requests.WithLabelValues(fmt.Sprint(tc.status)))
			if tc.status == 200 && (done != 1 || refused != 0 || stale != 0) || tc.status != 200 && (done != 0 || refused != 1 || stale != 1) || answered != 1 {
				t.Errorf("done %d, refused and audited %d, counted stale %v, answered %d %v", done, refused, stale, tc.status, answered)
			}
			// A repeat is answered the same, and not acted on.
			if again, _ := d.handle(t.Context(), payload); again.Status != tc.status {
				t.Errorf("repeat answered %+v", again)
			}
			if done2, _ := reqs.counts(); done2 != done {
				t.Errorf("repeat acted on")
			}
		})
	}
}

// TestCrashWhileActing: a request whose reply was never kept because the
// gateway died while acting is answered "outcome unknown" when it comes
// again, not acted on twice.
func TestCrashWhileActing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uplink.db")
	reqs := &fakeRequests{}
	d := openDownlink(t, path, reqs, time.Now)
	d.remember(countywire.Reply{ID: "c1", Status: countywire.StatusError, Error: unknownOutcome, AtMS: 1}) // as before Do
	rep, _ := d.handle(t.Context(), []byte(`{"id":"c1","by":"cmd1","action":"ack","alarm_id":"A1"}`))
	if done, _ := reqs.counts(); done != 0 || rep.Status != countywire.StatusError || rep.Error != unknownOutcome {
		t.Errorf("done %d; reply %+v", done, rep)
	}
}

// TestRepeatAnsweredOnceAfterKill: a process answers a request and is
// killed with SIGKILL (no Close); the next process on the same outbox file
// answers the repeat with the first reply and does not act again.
func TestRepeatAnsweredOnceAfterKill(t *testing.T) {
	if path := os.Getenv("GRIDWATCH_UPLINK_KILL_CHILD"); path != "" {
		d := openDownlink(t, path, &fakeRequests{}, time.Now)
		rep, _ := d.handle(t.Context(), []byte(`{"id":"k1","by":"cmd1","action":"ack","alarm_id":"A1"}`))
		b, _ := json.Marshal(rep)
		fmt.Printf("REPLY %s\n", b)
		select {} // until killed
	}
	path := filepath.Join(t.TempDir(), "uplink.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRepeatAnsweredOnceAfterKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GRIDWATCH_UPLINK_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var line string
	for sc := bufio.NewScanner(out); line == "" && sc.Scan(); { // until the child answered
		if strings.HasPrefix(sc.Text(), "REPLY ") {
			line = sc.Text()
		}
	}
	if line == "" {
		t.Fatal("the child gave no reply")
	}
	var first countywire.Reply
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "REPLY ")), &first); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	reqs := &fakeRequests{}
	d := openDownlink(t, path, reqs, time.Now)
	again, _ := d.handle(t.Context(), []byte(`{"id":"k1","by":"cmd1","action":"ack","alarm_id":"A1"}`))
	if done, _ := reqs.counts(); done != 0 || again != first || first.Status != countywire.StatusOK {
		t.Errorf("after kill -9: done again %d times; reply %+v, first %+v", done, again, first)
	}
}
