package alarm

import (
	"testing"
)

func TestPlanClips(t *testing.T) {
	a := Raise("20261206-0001", pressTrigger(7), "g1", nil, 1000)
	a.PlanClips([]string{"cam-1", "cam 2"}, 950)
	a.PlanClips([]string{"cam-1"}, 999) // planned again (a replay): kept as it was
	if len(a.Clips) != 2 || a.Clips[0].AtMS != 950 || a.Clips[1].State != ClipRecording {
		t.Fatalf("clips = %+v", a.Clips)
	}
	if a.Clip != "/api/v1/alarms/20261206-0001/clips/cam-1.mp4" || a.Clips[1].URL != "/api/v1/alarms/20261206-0001/clips/cam%202.mp4" {
		t.Fatalf("clip = %q, second url %q", a.Clip, a.Clips[1].URL)
	}
	c := a.Clone()
	c.Clips[0].State = ClipFailed
	if a.Clips[0].State != ClipRecording {
		t.Fatal("Clone shares the clip list")
	}
}

func TestAttachClip(t *testing.T) {
	ready := Clip{Camera: "cam-1", State: ClipReady, StartMS: 100, EndMS: 600, PressOffsetMS: 300, Still: "/s.jpg"}
	tests := []struct {
		name      string
		attach    []Clip
		changed   []bool
		wantState ClipState
		entries   []string // notes of clip entries
	}{
		{"ready", []Clip{ready}, []bool{true}, ClipReady, []string{"ready"}},
		{"no video is noted", []Clip{{Camera: "cam-1", State: ClipNoVideo, Error: "no video in the ring"}}, []bool{true},
			ClipNoVideo, []string{"no_video: no video in the ring"}},
		{"final stays final", []Clip{ready, {Camera: "cam-1", State: ClipFailed, Error: "late"}}, []bool{true, false},
			ClipReady, []string{"ready"}},
		{"same news twice", []Clip{{Camera: "cam-1", State: ClipRecording}, {Camera: "cam-1", State: ClipRecording}},
			[]bool{false, false}, ClipRecording, nil},
		{"no camera", []Clip{{State: ClipReady}}, []bool{false}, ClipRecording, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Raise("A1", pressTrigger(7), "g1", nil, 1000)
			a.PlanClips([]string{"cam-1"}, 400)
			for i, c := range tt.attach {
				if got := a.AttachClip(c, 2000+int64(i)); got != tt.changed[i] {
					t.Fatalf("attach %d: changed = %v, want %v", i, got, tt.changed[i])
				}
			}
			if a.Clips[0].State != tt.wantState || a.Clips[0].AtMS != 400 {
				t.Fatalf("clip = %+v", a.Clips[0])
			}
			var notes []string
			for _, e := range a.Timeline {
				if e.Kind == EntryClip {
					if e.By != "cam-1" {
						t.Fatalf("entry by %q", e.By)
					}
					notes = append(notes, e.Note)
				}
			}
			if len(notes) != len(tt.entries) || (len(notes) > 0 && notes[0] != tt.entries[0]) {
				t.Fatalf("clip entries = %q, want %q", notes, tt.entries)
			}
		})
	}
}

func TestAttachClipUnplanned(t *testing.T) {
	a := Raise("A1", pressTrigger(7), "g1", nil, 1000)
	if !a.AttachClip(Clip{Camera: "cam-9", State: ClipNoVideo}, 2000) {
		t.Fatal("an unplanned camera's clip was not added")
	}
	if a.Clip != ClipURL("A1", "cam-9", "mp4") || a.Clips[0].URL != a.Clip {
		t.Fatalf("clip %q, clips %+v", a.Clip, a.Clips)
	}
}
