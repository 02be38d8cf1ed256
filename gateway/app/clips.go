package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gridwatch/gridwatch/drivers/videorec"
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

// WithClipRecorder makes the gateway record every alarm clip with r
// instead of the cameras' own recorders (tests pass one that writes a
// real MP4).
func WithClipRecorder(r clips.Recorder) Option { return func(a *App) { a.clipRec = r } }

// cameraRecorders routes each clip to its camera's video recorder
// (video.go), looked up when the clip is asked for: the recorders are
// built with the cameras' drivers, after the clips service, and clips are
// asked for only once the gateway runs. A camera without a recorder has
// no video: its clip says so on the alarm, never skipped.
type cameraRecorders struct{ video *videoRecorders }

var _ clips.Recorder = cameraRecorders{}

func (r cameraRecorders) Clip(ctx context.Context, camera string, req clips.Request) (clips.Result, error) {
	rec, ok := r.video.Recorder(camera)
	if !ok {
		return clips.Result{}, fmt.Errorf("camera %s: no video recorder runs for it: %w", camera, clips.ErrNoVideo)
	}
	res, err := rec.Clip(ctx, videorec.ClipRequest{At: req.At, Pre: req.Pre, Post: req.Post, Path: req.Path})
	switch {
	case errors.Is(err, videorec.ErrNoVideo):
		err = fmt.Errorf("%w: %w", clips.ErrNoVideo, err)
	case errors.Is(err, videorec.ErrUnsupportedCodec):
		err = fmt.Errorf("%w: %w", clips.ErrUnsupportedCodec, err)
	}
	return clips.Result{Start: res.Start, End: res.End, Frames: res.Frames, Bytes: res.Bytes, Codec: res.Codec}, err
}

// clipBoard shows the desk's alarm changes on the board and hands them to
// the clips service, which starts the recordings an alarm planned. The
// service is set by build right after the desk, before anything runs.
type clipBoard struct {
	next  escalate.BoardResyncer
	clips *clips.Service
}

var _ escalate.BoardResyncer = (*clipBoard)(nil)

func (b *clipBoard) Publish(a alarm.Alarm) {
	b.clips.Publish(a) // never blocks
	b.next.Publish(a)
}

// Resync shows the board afresh (escalate.Desk.ResyncBoard); the clips
// service already has every open alarm's recordings in hand.
func (b *clipBoard) Resync(open []alarm.Alarm) { b.next.Resync(open) }

// newClips builds the clips service on the desk (build calls it right
// after the desk) and completes cb. Clips are recorded by the cameras'
// recorders (a.video), unless WithClipRecorder named another.
func (a *App) newClips(p *parts, cb *clipBoard) (*clips.Service, error) {
	cfg := a.cfg.Clips
	var rec clips.Recorder = cameraRecorders{video: &a.video}
	if a.clipRec != nil {
		rec = a.clipRec
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
		Dir: filepath.Join(a.cfg.DataDir, clipsDir), Recorder: rec, Desk: p.desk,
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
