package clips

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// record writes one camera's clip and its still and says how it went.
func (s *Service) record(ctx context.Context, j job) alarm.Clip {
	out := alarm.Clip{Camera: j.camera, AtMS: j.at.UnixMilli(), State: alarm.ClipFailed}
	mp4, err := s.path(j.alarmID, j.camera, "mp4")
	if err != nil {
		out.Error = err.Error()
		s.m.outcome(outcomeFailed)
		return out
	}
	// The journal comes first: below the floor, no clip is written.
	if free, err := s.cfg.Free(s.cfg.Dir); err == nil && free < s.cfg.MinFreeBytes {
		out.Error = fmt.Sprintf("not recorded: %d bytes free on the data disk, below the floor of %d kept for the journal", free, s.cfg.MinFreeBytes)
		s.m.outcome(outcomeDiskFloor)
		s.log.Warn("alarm clip not recorded: disk floor", "alarm", j.alarmID, "camera", j.camera, "free", free, "floor", s.cfg.MinFreeBytes)
		return out
	}
	if err := os.MkdirAll(filepath.Dir(mp4), 0o750); err != nil {
		out.Error = fmt.Sprintf("clip directory: %v", err)
		s.m.outcome(outcomeFailed)
		return out
	}
	end := j.at.Add(s.cfg.Post)
	rctx, cancel := context.WithDeadline(ctx, end.Add(recordSlack))
	defer cancel()
	res, err := s.cfg.Recorder.Clip(rctx, j.camera, Request{At: j.at, Pre: s.cfg.Pre, Post: s.cfg.Post, Path: mp4})
	switch {
	case errors.Is(err, ErrNoVideo):
		out.State, out.Error = alarm.ClipNoVideo, err.Error()
		s.m.outcome(outcomeNoVideo)
		s.log.Warn("alarm clip: camera has no video", "alarm", j.alarmID, "camera", j.camera, "err", err)
		return out
	case err != nil:
		out.Error = err.Error()
		s.m.outcome(outcomeFailed)
		s.log.Warn("alarm clip failed", "alarm", j.alarmID, "camera", j.camera, "err", err)
		return out
	}
	out.State = alarm.ClipReady
	out.StartMS, out.EndMS = res.Start.UnixMilli(), res.End.UnixMilli()
	out.PressOffsetMS = max(0, j.at.Sub(res.Start).Milliseconds())
	out.Frames, out.Bytes, out.Codec = res.Frames, res.Bytes, res.Codec
	if err := s.still(ctx, mp4, j.at.Sub(res.Start)); err != nil {
		out.Error = "no still: " + err.Error()
		s.m.stillErrors.Inc()
		s.log.Warn("alarm clip: still not made", "alarm", j.alarmID, "camera", j.camera, "err", err)
	} else if s.cfg.FFmpeg != "" {
		out.Still = alarm.ClipURL(j.alarmID, j.camera, "jpg")
	}
	s.m.outcome(outcomeReady)
	s.m.bytesWritten.Add(float64(res.Bytes))
	s.m.ready.Observe(s.cfg.Now().Sub(j.at).Seconds())
	s.log.Info("alarm clip ready", "alarm", j.alarmID, "camera", j.camera, "frames", res.Frames, "bytes", res.Bytes,
		"start", res.Start, "end", res.End)
	return out
}

// still decodes the frame at offset into the video (the press) to a JPEG
// next to it, with ffmpeg as a child process bounded by StillTimeout.
func (s *Service) still(ctx context.Context, mp4 string, offset time.Duration) error {
	if s.cfg.FFmpeg == "" {
		return nil
	}
	offset = max(offset, 0)
	jpg := mp4[:len(mp4)-len(".mp4")] + ".jpg"
	tmp := jpg + ".tmp"
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StillTimeout)
	defer cancel()
	// -ss before -i seeks to the keyframe before the offset and decodes
	// on to it exactly; a press past the end takes the last frame.
	cmd := exec.CommandContext(ctx, s.cfg.FFmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
		"-ss", strconv.FormatFloat(offset.Seconds(), 'f', 3, 64), "-i", mp4,
		"-frames:v", "1", "-update", "1", "-q:v", "3", "-f", "image2", "-y", tmp)
	outb, err := cmd.CombinedOutput()
	if err == nil {
		if st, serr := os.Stat(tmp); serr != nil || st.Size() == 0 {
			err = errors.New("ffmpeg wrote no frame (offset past the end?)")
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		if len(outb) > 300 {
			outb = outb[len(outb)-300:]
		}
		return fmt.Errorf("ffmpeg still at %v of %s: %w: %s", offset, filepath.Base(mp4), err, outb)
	}
	if err := os.Rename(tmp, jpg); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("still: %w", err)
	}
	return nil
}
