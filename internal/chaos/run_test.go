package chaos

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// settleWithin bounds how long the judge waits for pages still on their
// way once the load has stopped: generous, the machine may be busy.
const settleWithin = 3 * time.Minute

// boxesFor sizes a site's registry for a load of d at pressRate, with a
// margin (a slow machine stretches every phase).
func boxesFor(d time.Duration) int { return int(d.Seconds()*pressRate*1.5) + 500 }

// requireFull skips a fault that only `make chaos` runs.
func requireFull(t *testing.T) {
	t.Helper()
	if !full() {
		t.Skipf("long fault: runs with %s=full (make chaos)", fullEnv)
	}
}

// up starts a site's gateway and its phones, and waits until every phone
// is subscribed.
func up(t *testing.T, s *site) phones {
	t.Helper()
	s.gw.Start()
	ps := startPhones(s)
	if !ps.waitConnected(2 * time.Minute) {
		t.Fatalf("chaos: the phones did not all connect and subscribe within 2 minutes")
	}
	return ps
}

// pause sleeps for a random time between lo and hi.
func pause(lo, hi time.Duration) {
	time.Sleep(lo + time.Duration(rand.Int64N(int64(hi-lo)+1)))
}

// healthy reports whether the gateway answers /healthz.
func healthy(s *site) bool {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.httpAddr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
