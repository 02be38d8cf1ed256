package videorec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/drivers/h264"
)

// Clip outcomes; label values of gridwatch_video_clips_total.
const (
	outcomeOK = iota
	outcomeNoVideo
	outcomeUnsupported
	outcomeFailed
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "no_video", "unsupported_codec", "failed"}

// maxClip bounds Pre + Post of one clip.
const maxClip = time.Hour

// readBatch bounds how much one look at the ring copies under its lock.
const readBatch = 1 << 20

// Clip writes a clip around req.At to req.Path as an MP4 (H.264, moov in
// front so players start at once). It starts at the keyframe at or
// before At−Pre (or the ring's oldest, if the ring reaches back less),
// and adds frames as they arrive until one arrives after At+Post. A
// camera that went dark before At−Pre gives the Pre before it went dark,
// unless that was more than Config.Ring before At−Pre: then only what it
// sends next counts (old video is no evidence of the press). It ends
// sooner, with a shorter clip, when ctx ends or no frame comes for
// Config.Silence. A clip longer than the ring is fine. A camera that
// restarts in the post-roll (new SSRC) goes on from its next keyframe.
// The file appears at Path only when complete (temp file, fsync, rename).
// Errors: ErrNoVideo, ErrUnsupportedCodec (both wrapped), or a write
// error.
func (r *Recorder) Clip(ctx context.Context, req ClipRequest) (ClipResult, error) {
	res, err := r.clip(ctx, req)
	switch {
	case err == nil:
		r.clips[outcomeOK].Add(1)
	case errors.Is(err, ErrNoVideo):
		r.clips[outcomeNoVideo].Add(1)
	case errors.Is(err, ErrUnsupportedCodec):
		r.clips[outcomeUnsupported].Add(1)
	default:
		r.clips[outcomeFailed].Add(1)
	}
	if err != nil {
		return res, fmt.Errorf("clip of %s: %w", r.cfg.Device, err)
	}
	return res, nil
}

func (r *Recorder) clip(ctx context.Context, req ClipRequest) (ClipResult, error) {
	if req.Path == "" || req.Pre < 0 || req.Post < 0 || req.At.IsZero() || req.Pre+req.Post > maxClip {
		return ClipResult{}, fmt.Errorf("bad request: path %q, at %v, pre %v, post %v (at most %v in all)", req.Path, req.At, req.Pre, req.Post, maxClip)
	}
	if ahead := req.At.Sub(r.now()); ahead > r.cfg.Ring {
		// A clock gone wrong, not a press: it would record for as long.
		return ClipResult{}, fmt.Errorf("bad request: at %v is %v ahead of now", req.At, ahead)
	}
	// However the camera's clock and the arrivals disagree, the file
	// holds at most this much media time.
	limit := int64((req.Pre + req.Post + r.cfg.Ring) / time.Millisecond)
	if c := r.currentCodec(); c != h264.CodecH264 && c != h264.CodecUnknown {
		return ClipResult{}, fmt.Errorf("%w: %s", ErrUnsupportedCodec, c)
	}
	next, ok := r.ring.startAt(req.At.Add(-req.Pre), req.Pre)
	if !ok {
		return ClipResult{}, ErrNoVideo
	}
	until := req.At.Add(req.Post)
	out, err := createMP4(req.Path, r.cfg.ClockRate)
	if err != nil {
		return ClipResult{}, err
	}
	defer out.abort()

	var batch []Frame
	lastNew := r.now()
	t := time.NewTimer(0)
	defer t.Stop()
	for done := false; !done; {
		batch = batch[:0]
		var lost bool
		copied := 0
		next, lost = r.ring.read(next, readBatch, func(f Frame) { batch, copied = append(batch, f), copied+len(f.Data) })
		if lost {
			// The next frame read is the oldest keyframe.
			r.log.Warn("clip fell behind the ring; frames skipped", "device", r.cfg.Device, "path", req.Path)
		}
		for _, f := range batch {
			if out.frames > 0 && (f.At.After(until) || out.mediaMS(f) > limit) {
				done = true
				break
			}
			if err := out.write(f); errors.Is(err, errNewParams) {
				r.log.Warn("clip ends early", "device", r.cfg.Device, "path", req.Path, "why", err)
				done = true
				break
			} else if err != nil {
				return ClipResult{}, err
			}
		}
		if done {
			break
		}
		if c := r.currentCodec(); c != h264.CodecH264 && c != h264.CodecUnknown {
			return ClipResult{}, fmt.Errorf("%w: the camera switched to %s", ErrUnsupportedCodec, c)
		}
		if len(batch) > 0 {
			lastNew = r.now()
			if copied >= readBatch {
				continue // the ring may hold more: copy on at once
			}
		}
		if r.now().Sub(lastNew) >= r.cfg.Silence {
			r.log.Info("camera silent in the post-roll; clip ends early", "device", r.cfg.Device, "path", req.Path)
			break
		}
		t.Reset(r.poll)
		select {
		case <-ctx.Done():
			done = true
		case <-t.C:
		}
	}
	if out.frames == 0 {
		return ClipResult{}, ErrNoVideo
	}
	return out.finish()
}
