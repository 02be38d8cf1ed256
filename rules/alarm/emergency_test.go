package alarm

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEmergencyAndAuditSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarms.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	switches := []Emergency{
		{Scope: "lianhua", On: true, By: "room1", At: 10},
		{Scope: SiteScope, On: true, By: "cmd1", At: 20},
		{Scope: "hehua", On: true, By: "duty", At: 30},
		{Scope: "hehua", On: false, By: "duty", At: 40},
	}
	for _, e := range switches {
		rec := AuditRecord{At: e.At, Kind: AuditEmergency, By: e.By, Action: "emergency_on", Grid: e.Scope}
		if err := s.SetEmergency(e, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendAudit(AuditRecord{At: 50, Kind: AuditRefused, By: "sun", Action: "ack", Alarm: "A1", Grid: "lh-g4-07", Reason: "not hers"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, path)
	got, err := s.Emergencies()
	if err != nil {
		t.Fatal(err)
	}
	want := []Emergency{switches[1], switches[0]} // by scope; hehua switched off
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("emergencies after reopen = %+v, want %+v", got, want)
	}

	tests := []struct {
		since int64
		limit int
		seqs  []uint64
		err   string
	}{
		{0, 100, []uint64{1, 2, 3, 4, 5}, ""},
		{30, 100, []uint64{3, 4, 5}, ""},
		{0, 2, []uint64{1, 2}, ""},
		{51, 10, []uint64{}, ""},
		{-1, 10, nil, "since -1"},
		{0, 0, nil, "limit 0"},
		{0, MaxAuditLimit + 1, nil, "limit 1001"},
	}
	for _, tt := range tests {
		recs, err := s.AuditLog(tt.since, tt.limit)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("AuditLog(%d, %d) error = %v, want %q", tt.since, tt.limit, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		seqs := []uint64{}
		for _, r := range recs {
			seqs = append(seqs, r.Seq)
		}
		if !reflect.DeepEqual(seqs, tt.seqs) {
			t.Errorf("AuditLog(%d, %d) = seqs %v, want %v", tt.since, tt.limit, seqs, tt.seqs)
		}
	}
	last, _ := s.AuditLog(50, 1)
	if r := last[0]; r.Kind != AuditRefused || r.By != "sun" || r.Alarm != "A1" || r.Reason != "not hers" {
		t.Errorf("refusal record = %+v", r)
	}
	if err := s.AppendAudit(AuditRecord{At: 1}); err == nil {
		t.Error("an audit record without a kind was stored")
	}
}
