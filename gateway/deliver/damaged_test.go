package deliver

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A damaged pages.db or outbox file does not keep the gateway from
// starting (bbolt panics on some damage, on every start): it is set aside
// and a fresh one is used.
func TestDamagedFilesAreSetAside(t *testing.T) {
	garbage := bytes.Repeat([]byte("not a bbolt file, but long enough to look like pages "), 400)
	t.Run("ledger", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pages.db")
		if err := os.WriteFile(path, garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		r := openRig(t, path, nil)
		r.stop(t)
		if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 1 {
			t.Fatalf("set aside: %v", aside)
		}
	})
	t.Run("outbox", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "outbox-sms.db")
		if err := os.WriteFile(path, garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		o, err := Open(Config{Path: path, Channel: &fakeChannel{name: "sms"}})
		if err != nil {
			t.Fatalf("a damaged outbox file stops the start: %v", err)
		}
		o.Close()
		if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 1 {
			t.Fatalf("set aside: %v", aside)
		}
	})
}
