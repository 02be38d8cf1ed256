package uplink

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"unsafe"
)

// TestAlarmJSONSharesState: the records AlarmJSON queues carry the
// caller's encoding of the alarm (the board's retained message) as their
// state, not a copy, and Alarm encodes the very same bytes itself: the
// wire format is one either way.
func TestAlarmJSONSharesState(t *testing.T) {
	u, err := Open(Config{URL: "tcp://127.0.0.1:1", County: testCounty, Site: testSite, ClientID: "c",
		Path: filepath.Join(t.TempDir(), "uplink.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	a := lifecycle("A1", 3)
	state, _ := json.Marshal(a)
	u.AlarmJSON(a, state)
	b := lifecycle("A2", 3)
	u.Alarm(b)
	wantB, _ := json.Marshal(b)
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.pending) != 6 {
		t.Fatalf("%d records queued, want 6", len(u.pending))
	}
	for _, q := range u.pending[:3] {
		if s := q.rec.Alarm.State; unsafe.SliceData(s) != unsafe.SliceData(state) || len(s) != len(state) {
			t.Errorf("record %s carries a copy of the state given", q.rec.Alarm.Step)
		}
	}
	for _, q := range u.pending[3:] {
		if !bytes.Equal(q.rec.Alarm.State, wantB) {
			t.Errorf("record %s state %s, want %s", q.rec.Alarm.Step, q.rec.Alarm.State, wantB)
		}
	}
}
