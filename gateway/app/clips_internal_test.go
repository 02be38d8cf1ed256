package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/clips"
)

// The clips reach each camera's own recorder, found when the clip is
// asked for; a camera without one has no video (noted on the alarm).
func TestCameraRecordersRouteByCamera(t *testing.T) {
	var r cameraRecorders
	at := time.UnixMilli(1_800_000_000_000)
	r.add("cam-1", func(_ context.Context, req clips.Request) (clips.Result, error) {
		return clips.Result{Start: req.At.Add(-req.Pre), End: req.At.Add(req.Post), Codec: "h264"}, nil
	})
	r.add("cam-h265", func(context.Context, clips.Request) (clips.Result, error) {
		return clips.Result{}, clips.ErrUnsupportedCodec
	})
	res, err := r.Clip(context.Background(), "cam-1", clips.Request{At: at, Pre: time.Second, Post: 2 * time.Second})
	if err != nil || !res.Start.Equal(at.Add(-time.Second)) || !res.End.Equal(at.Add(2*time.Second)) {
		t.Fatalf("cam-1: %+v, %v", res, err)
	}
	if _, err := r.Clip(context.Background(), "cam-h265", clips.Request{At: at}); !errors.Is(err, clips.ErrUnsupportedCodec) {
		t.Fatalf("cam-h265: %v", err)
	}
	if _, err := r.Clip(context.Background(), "cam-none", clips.Request{At: at}); !errors.Is(err, clips.ErrNoVideo) {
		t.Fatalf("a camera without a recorder: %v, want ErrNoVideo", err)
	}
}
