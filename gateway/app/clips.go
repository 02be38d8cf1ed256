package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gridwatch/gridwatch/gateway/clips"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/escalate"
	"github.com/gridwatch/gridwatch/rules/runner"
)

// clipsDir is where the clips live under data_dir.
const clipsDir = "clips"

// WithClipRecorder makes the gateway record alarm clips with r. Without
// it, a camera the gateway records has no recorder and its clips say
// no_video. (The cameras' own recorders are wired in video.go; tests
// pass a recorder that writes a real MP4.)
func WithClipRecorder(r clips.Recorder) Option { return func(a *App) { a.clipRec = r } }

// noRecorder stands in until the cameras' recorders are wired: every
// clip is noted on its alarm as no_video, never silently skipped.
type noRecorder struct{}

func (noRecorder) Clip(_ context.Context, camera string, _ clips.Request) (clips.Result, error) {
	return clips.Result{}, fmt.Errorf("camera %s: no video recorder runs for it: %w", camera, clips.ErrNoVideo)
}

// clipBoard shows the desk's alarm changes on the board and hands them to
// the clips service, which starts the recordings an alarm planned. The
// service is set by build right after the desk, before anything runs.
type clipBoard struct {
	next  escalate.Board
	clips *clips.Service
}

func (b *clipBoard) Publish(a alarm.Alarm) {
	b.clips.Publish(a) // never blocks
	b.next.Publish(a)
}

// newClips builds the clips service on the desk (build calls it right
// after the desk) and completes cb.
func (a *App) newClips(desk *escalate.Desk, cb *clipBoard) (*clips.Service, error) {
	cfg := a.cfg.Clips
	rec := a.clipRec
	if rec == nil {
		rec = noRecorder{}
	}
	ff := cfg.FFmpeg
	if ff != "" {
		if p, err := exec.LookPath(ff); err != nil {
			a.log.Warn("clips: ffmpeg not found; clips get no still", "ffmpeg", ff, "err", err)
			ff = ""
		} else {
			ff = p
		}
	}
	svc, err := clips.New(clips.Config{
		Dir: filepath.Join(a.cfg.DataDir, clipsDir), Recorder: rec, Desk: desk,
		Pre: cfg.PreRoll, Post: cfg.PostRoll, Workers: cfg.Workers,
		MaxAge: cfg.MaxAge, MaxBytes: cfg.MaxBytes, MinFreeBytes: cfg.MinFreeBytes, FFmpeg: ff,
		Logger: a.log.With("component", "clips"), Registerer: a.metrics,
	})
	if err != nil {
		return nil, a.errf("%w", err)
	}
	cb.clips = svc
	return svc, nil
}

// clipFiles serves the clips service's files to the HTTP API.
type clipFiles struct{ svc *clips.Service }

var _ httpapi.ClipFiles = clipFiles{}

func (c clipFiles) Open(alarmID, camera, ext string) (*os.File, error) {
	f, err := c.svc.Open(alarmID, camera, ext)
	if errors.Is(err, clips.ErrNoFile) {
		return nil, fmt.Errorf("%w: %v", httpapi.ErrNoClip, err)
	}
	return f, err
}

// clipCommands keeps the rules' clip command from the cameras the gateway
// records itself (they never answer it: no ack, and a false warning on
// every panic); cameras that record on their own still get it.
type clipCommands struct {
	next runner.Commander
	reg  func() *registry.Registry
}

var _ runner.Commander = clipCommands{}

func (c clipCommands) Send(cmd event.Command) (string, error) {
	if cmd.Cmd == clips.CmdClip {
		if d, ok := c.reg().Device(cmd.Device); ok && clips.Recorded(d) {
			return "", nil // the gateway records it: see gateway/clips
		}
	}
	return c.next.Send(cmd)
}
