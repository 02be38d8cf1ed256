package broker

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.etcd.io/bbolt"
)

// TestDamagedStoreIsSetAside is hole 8 (broker part): a broker.db damaged
// by random bytes over its pages made bbolt panic or fail at every start.
// Now the file is set aside as broker.db.corrupt-<time>, the broker starts
// with an empty store and serves, and the reset is counted.
func TestDamagedStoreIsSetAside(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to int64 // byte range overwritten
	}{
		{"data pages", 2 * 4096, -1},
		{"meta pages", 0, 2 * 4096},
		{"whole file", 0, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			addr := freeAddr(t)
			cfg := Config{Listen: addr, AllowAnonymous: true, Handler: &recorder{}, DataDir: dir}
			b, stop := startBroker(t, cfg)
			phone := connect(t, addr, "phone-wang", false, nil)
			if tok := phone.Subscribe("gridwatch/v1/staff/wang/notify", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatalf("subscribe: %v", tok.Error())
			}
			for i := range 50 {
				_ = b.Publish("gridwatch/v1/alarms/A"+strings.Repeat("x", i), []byte(strings.Repeat("{}", 500)), 1, true)
			}
			phone.Disconnect(100)
			stop()

			path := filepath.Join(dir, "broker.db")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			to := tc.to
			if to < 0 || to > int64(len(data)) {
				to = int64(len(data))
			}
			r := rand.New(rand.NewPCG(1, 2))
			for i := tc.from; i < to; i++ {
				data[i] = byte(r.IntN(256))
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}

			b2, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			startRun(t, b2)
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Errorf("damaged file not set aside: %v", aside)
			}
			if got := testutil.ToFloat64(b2.metrics.storeReset); got != 1 {
				t.Errorf("store resets counted = %v, want 1", got)
			}
			connect(t, addr, "lb-1", true, nil) // it serves
		})
	}
}

// startRun runs b like startBroker, for a broker made by the test.
func startRun(t testing.TB, b *Broker) {
	t.Helper()
	done := make(chan error, 1)
	ctx, cancel := contextWithCancel()
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for b.Ready() != nil {
		select {
		case err := <-done:
			t.Fatalf("broker stopped: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("broker did not start")
		}
	}
}

// TestLockedStoreIsNotDamage: a broker.db locked by another process (a
// second gridwatchd on the same data_dir) is an error, never set aside.
func TestLockedStoreIsNotDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broker.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	aside, err := checkStore(path, time.Now())
	if err == nil || aside != "" {
		t.Fatalf("checkStore = %q, %v; want an error and nothing set aside", aside, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the locked store was moved: %v", err)
	}
}
