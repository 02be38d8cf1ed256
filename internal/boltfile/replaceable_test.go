package boltfile

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenReplaceableSetsADamagedFileAside(t *testing.T) {
	path, ps := makeFile(t)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Garbage over both meta pages: bolt.Open refuses (or panics on) it.
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 2*ps), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	db, err := OpenReplaceable(path, 0o600, &bolt.Options{Timeout: time.Second}, time.Now(), log, "the test file")
	if err != nil {
		t.Fatalf("a damaged replaceable file was not replaced: %v", err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("a")) != nil {
			t.Error("the fresh file holds the old buckets")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("set-aside files: %v", aside)
	}
	if !strings.Contains(logs.String(), "DAMAGED FILE") || !strings.Contains(logs.String(), "the test file") {
		t.Fatalf("not logged loudly:\n%s", logs.String())
	}
}

func TestOpenReplaceableKeepsAGoodFile(t *testing.T) {
	path, _ := makeFile(t)
	db, err := OpenReplaceable(path, 0o600, nil, time.Now(), nil, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("a")) == nil {
			t.Error("a good file lost its buckets")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 0 {
		t.Fatalf("a good file was set aside: %v", aside)
	}
}
