package alarm

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSilenceNeverWithoutItsAuditRecord: a silence is stored with its
// audit record or not at all, and survives a reopen; a removal without a
// record (a silence that ended) writes none.
func TestSilenceNeverWithoutItsAuditRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarms.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	set := AuditRecord{At: 10, Kind: AuditSilence, By: "room1", Action: "silence_set", Reason: "m1"}
	if err := s.PutSilence("m1", []byte(`{"id":"m1"}`), set); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSilence("m2", []byte(`{"id":"m2"}`), set); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSilence("m3", []byte(`{"id":"m3"}`), AuditRecord{}); err == nil {
		t.Fatal("a silence was stored with an audit record that cannot be")
	}
	if err := s.PutSilence("", []byte(`{}`), set); err == nil {
		t.Fatal("a silence without an id was stored")
	}
	if err := s.DeleteSilence("m2", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, path)
	docs, err := s.SilenceDocs()
	if err != nil || len(docs) != 1 || string(docs[0]) != `{"id":"m1"}` {
		t.Fatalf("stored silences %q (%v), want only m1", docs, err)
	}
	log, err := s.AuditLog(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log {
		got = append(got, r.Action+" "+r.Reason)
	}
	if strings.Join(got, ",") != "silence_set m1,silence_set m1" {
		t.Fatalf("audit log %q, want the two stored silences only", got)
	}
}
