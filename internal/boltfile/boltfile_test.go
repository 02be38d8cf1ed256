package boltfile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// makeFile writes a bbolt file with nested buckets and enough keys to span
// many pages, and returns its path and page size.
func makeFile(t *testing.T) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"a", "b"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			sub, err := b.CreateBucket([]byte("sub"))
			if err != nil {
				return err
			}
			for i := range 2000 {
				k := fmt.Appendf(nil, "key-%06d", i)
				if err := b.Put(k, []byte(strings.Repeat("v", 100))); err != nil {
					return err
				}
				if err := sub.Put(k, k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := db.Info().PageSize
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, ps
}

// TestDamageIsAnErrorNotAPanic: however a file is damaged, Open returns
// ErrCorrupt and the process lives (a bare bolt.Open panics on several of
// these).
func TestDamageIsAnErrorNotAPanic(t *testing.T) {
	tests := []struct {
		name   string
		damage func(b []byte, ps int)
	}{
		{"both meta pages zeroed", func(b []byte, ps int) { clear(b[:2*ps]) }},
		{"every data page garbage", func(b []byte, ps int) {
			r := rand.New(rand.NewPCG(1, 2))
			for i := 2 * ps; i < len(b); i++ {
				b[i] = byte(r.Uint32())
			}
		}},
		{"data pages zeroed", func(b []byte, ps int) { clear(b[2*ps:]) }},
		{"page headers point far away", func(b []byte, ps int) {
			for p := 2 * ps; p+ps <= len(b); p += ps {
				for i := range 8 {
					b[p+i] = 0x7f // page id
				}
				b[p+8], b[p+9] = 0x01, 0x00   // branch page
				b[p+10], b[p+11] = 0xff, 0x7f // with 32767 elements
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, ps := makeFile(t)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(b, ps)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err == nil {
				db.Close()
				t.Fatal("Open of a damaged file succeeded")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open = %v, want ErrCorrupt naming the file", err)
			}
			to, err := SetAside(path, time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if to != path+".corrupt-20261206T070000Z" {
				t.Errorf("set aside as %s", to)
			}
			db, err = Open(path, 0o600, nil)
			if err != nil {
				t.Fatalf("fresh file after SetAside: %v", err)
			}
			db.Close()
		})
	}
}

func TestGoodFileOpens(t *testing.T) {
	path, _ := makeFile(t)
	db, err := Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte("a")).Stats().KeyN; n != 2000+2000+1 { // and the key of "sub"
			return fmt.Errorf("keys %d", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
