package uplink

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

func testDownlink(t testing.TB, reqs Requests) *downlink {
	t.Helper()
	u := &Uplink{cfg: Config{Requests: reqs, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}}
	var err error
	if u.m, err = newMetrics(nil, nil, time.Now); err != nil {
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
// the first reply again, and the memory of ids is bounded.
func TestRepeatAnsweredOnce(t *testing.T) {
	reqs := &fakeRequests{}
	d := testDownlink(t, reqs)
	ack := []byte(`{"id":"r1","by":"cmd1","action":"ack","alarm_id":"A1"}`)
	first, _ := d.handle(t.Context(), ack)
	again, _ := d.handle(t.Context(), ack)
	if done, _ := reqs.counts(); done != 1 || first != again {
		t.Fatalf("done %d times; replies %+v then %+v", done, first, again)
	}
	for i := range remembered + 10 {
		d.handle(t.Context(), []byte(`{"id":"x`+string(rune('a'+i%26))+`-`+time.Duration(i).String()+`","by":"cmd1","action":"ack","alarm_id":"A1"}`))
	}
	if len(d.replies) > remembered || len(d.order) > remembered {
		t.Errorf("remembers %d ids, want at most %d", len(d.replies), remembered)
	}
}
