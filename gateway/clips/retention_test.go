package clips

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// folder is one alarm's clips on disk for a retention case.
type folder struct {
	id     string
	state  alarm.State // "" : the desk does not know the alarm
	age    time.Duration
	bytes  int
	active bool // being recorded now
}

func TestRetention(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name     string
		maxAge   time.Duration
		maxBytes int64
		minFree  int64
		free     int64
		folders  []folder
		want     []string // ids left
		reason   string
	}{
		{name: "age: closed ones go, open ones stay", maxAge: 30 * day,
			folders: []folder{{"old-open", alarm.Open, 40 * day, 10, false}, {"old-closed", alarm.Resolved, 31 * day, 10, false},
				{"new-closed", alarm.Cleared, 29 * day, 10, false}, {"old-acked", alarm.Acknowledged, 60 * day, 10, false},
				{"orphan", "", 31 * day, 10, false}},
			want: []string{"new-closed", "old-acked", "old-open"}, reason: reasonAge},
		{name: "size: oldest closed first, open never", maxBytes: 250,
			folders: []folder{{"a-open", alarm.Open, 9 * day, 100, false}, {"b-closed", alarm.Resolved, 8 * day, 100, false},
				{"c-closed", alarm.Resolved, 7 * day, 100, false}, {"d-closed", alarm.Resolved, 1 * day, 100, false}},
			want: []string{"a-open", "d-closed"}, reason: reasonSize},
		{name: "size: open alarms over the bound are kept", maxBytes: 50,
			folders: []folder{{"a-open", alarm.Open, 9 * day, 100, false}, {"b-onscene", alarm.OnScene, 8 * day, 100, false}},
			want:    []string{"a-open", "b-onscene"}, reason: reasonSize},
		{name: "being recorded is kept", maxAge: day,
			folders: []folder{{"a-closed-recording", alarm.Resolved, 2 * day, 100, true}},
			want:    []string{"a-closed-recording"}, reason: reasonAge},
		{name: "disk floor: closed ones go until the floor is free", minFree: 1000, free: 850,
			folders: []folder{{"a-closed", alarm.Resolved, 3 * day, 100, false}, {"b-closed", alarm.Resolved, 2 * day, 100, false},
				{"c-open", alarm.Open, 4 * day, 100, false}, {"d-closed", alarm.Resolved, 1 * day, 100, false}},
			want: []string{"c-open", "d-closed"}, reason: reasonDiskFloor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			now := time.Now()
			desk := newFakeDesk()
			for _, f := range tt.folders {
				p := filepath.Join(dir, f.id)
				if err := os.MkdirAll(p, 0o750); err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"cam.mp4", "cam.jpg"} {
					file := filepath.Join(p, name)
					if err := os.WriteFile(file, make([]byte, f.bytes/2), 0o640); err != nil {
						t.Fatal(err)
					}
					if err := os.Chtimes(file, now.Add(-f.age), now.Add(-f.age)); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Chtimes(p, now.Add(-f.age), now.Add(-f.age)); err != nil {
					t.Fatal(err)
				}
				if f.state != "" {
					desk.alarms[f.id] = &alarm.Alarm{ID: f.id, State: f.state}
				}
			}
			free := tt.free
			s, err := New(Config{Dir: dir, Recorder: &fakeRecorder{}, Desk: desk, MaxAge: tt.maxAge, MaxBytes: tt.maxBytes,
				MinFreeBytes: tt.minFree, Now: func() time.Time { return now },
				Free: func(string) (int64, error) { return free, nil }})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.folders {
				if f.active {
					s.setActive(f.id, 1)
				}
			}
			before := testutil.ToFloat64(s.m.deleted.WithLabelValues(tt.reason))
			s.sweep()
			ents, _ := os.ReadDir(dir)
			var left []string
			for _, e := range ents {
				left = append(left, e.Name())
			}
			if !slices.Equal(left, tt.want) {
				t.Fatalf("left %v, want %v", left, tt.want)
			}
			if got := testutil.ToFloat64(s.m.deleted.WithLabelValues(tt.reason)) - before; got != float64(len(tt.folders)-len(tt.want)) {
				t.Fatalf("deleted{reason=%s} = %v, want %d", tt.reason, got, len(tt.folders)-len(tt.want))
			}
		})
	}
}
