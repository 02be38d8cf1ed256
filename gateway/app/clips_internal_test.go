package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/videorec"
	"github.com/gridwatch/gridwatch/gateway/clips"
)

// The clips reach each camera's own recorder, found when the clip is
// asked for; the recorder's errors keep their meaning for the clips
// service, and a camera without a recorder has no video (noted on the
// alarm).
func TestCameraRecordersRouteByCamera(t *testing.T) {
	var v videoRecorders
	rec, err := videorec.New(videorec.Config{Device: "cam-1"}, videorec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	v.add(rec)
	r := cameraRecorders{video: &v}
	req := clips.Request{At: time.Now(), Pre: time.Second, Post: time.Second, Path: t.TempDir() + "/c.mp4"}
	if _, err := r.Clip(context.Background(), "cam-1", req); !errors.Is(err, clips.ErrNoVideo) {
		t.Fatalf("cam-1 with an empty ring: %v, want clips.ErrNoVideo", err)
	}
	if _, err := r.Clip(context.Background(), "cam-none", req); !errors.Is(err, clips.ErrNoVideo) {
		t.Fatalf("a camera without a recorder: %v, want clips.ErrNoVideo", err)
	}
}
