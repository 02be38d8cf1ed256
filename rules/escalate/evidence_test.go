package escalate

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// cams plans clips from fixed cameras for every alarm of a light box.
type cams []string

func (c cams) ClipCameras(t event.Trigger) []string {
	if t.Device == "lb-0001" {
		return c
	}
	return nil
}

func withClips(p ClipPlanner) rigOption { return func(c *Config) { c.Clips = p } }

func TestFirstPageCarriesTheClipURL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, withClips(cams{"cam-01", "cam-02"}))
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed)
		a := r.only()
		want := alarm.ClipURL(a.ID, "cam-01", "mp4")
		pages := r.notes.take()
		if len(pages) == 0 {
			t.Fatal("no page")
		}
		for _, p := range pages {
			if p.n.Clip != want {
				t.Fatalf("page to %s carries clip %q, want %q", p.staff, p.n.Clip, want)
			}
		}
		if len(a.Clips) != 2 || a.Clips[1].State != alarm.ClipRecording || a.Clips[1].AtMS == 0 {
			t.Fatalf("clips = %+v", a.Clips)
		}
		// The board saw the planned clips with the raise (that starts the recording).
		if seen := r.board.take(); len(seen) == 0 || len(seen[0].Clips) != 2 {
			t.Fatalf("board saw %+v", seen)
		}
		r.send("lb-0002", event.ButtonPressed) // a box without recorded cameras: no clip
		for _, p := range r.notes.take() {
			if p.n.Clip != "" {
				t.Fatalf("page of lb-0002 carries clip %q", p.n.Clip)
			}
		}
	})
}

func TestAttachClipOpenAndClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var id uint64
		r := startRig(t, path, newNotifier(), &id, withClips(cams{"cam-01", "cam-02"}))
		r.send("lb-0001", event.ButtonPressed)
		a := r.only()
		ctx := context.Background()
		ready := alarm.Clip{Camera: "cam-01", State: alarm.ClipReady, StartMS: 1, EndMS: 2, Still: alarm.ClipURL(a.ID, "cam-01", "jpg")}
		if err := r.desk.AttachClip(ctx, a.ID, ready); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		got, _, _ := r.desk.Get(a.ID)
		if got.Clips[0].State != alarm.ClipReady || got.Timeline[len(got.Timeline)-1].Kind != alarm.EntryClip {
			t.Fatalf("after attach: clips %+v, timeline %+v", got.Clips, got.Timeline)
		}
		if seen := r.board.take(); len(seen) == 0 || seen[len(seen)-1].Clips[0].State != alarm.ClipReady {
			t.Fatal("the board (the console's live stream) did not see the clip")
		}
		// Resolved before the second camera's post-roll ended: its clip
		// still lands on the alarm, and is stored.
		if _, err := r.desk.ActAs(ctx, permit.Console, event.Action{AlarmID: a.ID, Kind: event.Resolve}); err != nil {
			t.Fatal(err)
		}
		if err := r.desk.AttachClip(ctx, a.ID, alarm.Clip{Camera: "cam-02", State: alarm.ClipNoVideo, Error: "no video"}); err != nil {
			t.Fatal(err)
		}
		if err := r.desk.AttachClip(ctx, "nope", ready); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown alarm: %v, want ErrNotFound", err)
		}
		r.stop()

		st, err := alarm.OpenStore(path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		stored, ok, err := st.Get(a.ID)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		i := slices.IndexFunc(stored.Clips, func(c alarm.Clip) bool { return c.Camera == "cam-02" })
		if !stored.State.Closed() || i < 0 || stored.Clips[i].State != alarm.ClipNoVideo {
			t.Fatalf("stored %s with clips %+v", stored.State, stored.Clips)
		}
	})
}
