package alarm

import (
	"net/url"
	"slices"
)

// ClipState is how far a camera's evidence clip of an alarm got.
type ClipState string

// The states of a Clip. Recording is the only one that changes again.
const (
	ClipRecording ClipState = "recording" // planned at raise time; the post-roll is still coming
	ClipReady     ClipState = "ready"     // the MP4 (and, if it could be made, the still) are served
	ClipFailed    ClipState = "failed"    // Error says why (disk floor, unsupported codec, a write error)
	ClipNoVideo   ClipState = "no_video"  // the camera had no video to record (offline, no stream yet)
)

// EntryClip: the clip of camera By reached a final state (Note says which,
// and why when it failed).
const EntryClip EntryKind = "clip"

// Clip is one camera's evidence of an alarm: a video of the seconds before
// and after the press, and a still of the frame nearest it. URL and Still
// are URL paths of the gateway's HTTP API; times are Unix milliseconds.
type Clip struct {
	Camera string    `json:"camera"`
	URL    string    `json:"url"`
	Still  string    `json:"still,omitempty"`
	State  ClipState `json:"state"`
	// AtMS is the press instant the clip is made around.
	AtMS int64 `json:"at_ms"`
	// StartMS and EndMS are the first and last frame's times once ready;
	// PressOffsetMS is where AtMS falls in the video (AtMS - StartMS).
	StartMS       int64  `json:"start_ms,omitempty"`
	EndMS         int64  `json:"end_ms,omitempty"`
	PressOffsetMS int64  `json:"press_offset_ms,omitempty"`
	Frames        int    `json:"frames,omitempty"`
	Bytes         int64  `json:"bytes,omitempty"`
	Codec         string `json:"codec,omitempty"`
	Error         string `json:"error,omitempty"`
}

// Final reports whether the clip will not change again.
func (c Clip) Final() bool { return c.State != ClipRecording }

// ClipURL is the URL path the API serves the evidence of camera for alarm
// id at: ext "mp4" for the video, "jpg" for the still.
func ClipURL(alarmID, camera, ext string) string {
	return "/api/v1/alarms/" + url.PathEscape(alarmID) + "/clips/" + url.PathEscape(camera) + "." + ext
}

// PlanClips records, at raise time, that each camera records a clip of
// the alarm around atMS (state recording), and sets Clip, the URL pages
// carry, to the first camera's video. Cameras already planned are kept.
func (a *Alarm) PlanClips(cameras []string, atMS int64) {
	for _, cam := range cameras {
		if slices.ContainsFunc(a.Clips, func(c Clip) bool { return c.Camera == cam }) {
			continue
		}
		a.Clips = append(a.Clips, Clip{Camera: cam, URL: ClipURL(a.ID, cam, "mp4"), State: ClipRecording, AtMS: atMS})
	}
	if a.Clip == "" && len(a.Clips) > 0 {
		a.Clip = a.Clips[0].URL
	}
}

// AttachClip records what became of a camera's clip (c.Camera names it)
// and, when it reached a final state, writes it on the timeline at nowMS.
// A final clip is never changed again, and a camera the alarm did not plan
// is added. It reports whether anything changed.
func (a *Alarm) AttachClip(c Clip, nowMS int64) bool {
	if c.Camera == "" {
		return false
	}
	if c.URL == "" {
		c.URL = ClipURL(a.ID, c.Camera, "mp4")
	}
	i := slices.IndexFunc(a.Clips, func(x Clip) bool { return x.Camera == c.Camera })
	if i >= 0 && c.AtMS == 0 {
		c.AtMS = a.Clips[i].AtMS
	}
	switch {
	case i < 0:
		a.Clips = append(a.Clips, c)
		if a.Clip == "" {
			a.Clip = c.URL
		}
	case a.Clips[i].Final() || a.Clips[i] == c:
		return false
	default:
		a.Clips[i] = c
	}
	if c.Final() {
		note := string(c.State)
		if c.Error != "" {
			note += ": " + c.Error
		}
		a.Timeline = append(a.Timeline, Entry{At: nowMS, Kind: EntryClip, By: c.Camera, Note: note})
	}
	return true
}
