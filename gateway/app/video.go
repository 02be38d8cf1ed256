package app

import (
	"sync"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/drivers/videorec"
)

// videoRecorders holds the recorder of every camera the gateway receives
// video from, by device id: built with the cameras' RTP listeners
// (drivers), read by whoever writes clips.
type videoRecorders struct {
	mu   sync.Mutex
	byID map[string]*videorec.Recorder
}

// Recorder is camera device's recorder; false if the gateway receives no
// video from it (no RTP listener).
func (v *videoRecorders) Recorder(device string) (*videorec.Recorder, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r, ok := v.byID[device]
	return r, ok
}

func (v *videoRecorders) add(r *videorec.Recorder) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.byID == nil {
		v.byID = map[string]*videorec.Recorder{}
	}
	v.byID[r.Device()] = r
}

// Recorder is how the gateway finds camera device's recorder (to write a
// clip with Recorder.Clip); false if it has none.
func (a *App) Recorder(device string) (*videorec.Recorder, bool) { return a.video.Recorder(device) }

// rtpOptions are the RTP listener options of camera id: the gateway's
// logger and metrics, and a new recorder (a ring of the clips' pre-roll,
// at most clips.ring_bytes) that the listener feeds with the camera's
// pictures.
func (a *App) rtpOptions(id string) (rtpstream.Options, error) {
	rec, err := videorec.New(videorec.Config{Device: id, Ring: a.cfg.Clips.PreRoll, MaxBytes: int(a.cfg.Clips.RingBytes)},
		videorec.Options{Logger: a.log.With("component", "video"), Registerer: a.metrics})
	if err != nil {
		return rtpstream.Options{}, a.errf("camera %s: %w", id, err)
	}
	a.video.add(rec)
	return rtpstream.Options{Logger: a.log.With("component", "rtp"), Registerer: a.metrics, Video: rec}, nil // the listener adds device
}
