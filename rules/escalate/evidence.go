package escalate

import (
	"context"
	"fmt"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// ClipPlanner names, at raise time, the cameras the gateway records an
// evidence clip from for a new alarm (its device's linked cameras that
// stream to the gateway). The desk calls it on its own goroutine when an
// alarm opens, before the first page, so that page carries the clip's URL:
// it must be quick and do no I/O (a registry lookup). The recording itself
// happens elsewhere (the Board sees the planned clips) and comes back
// through AttachClip.
type ClipPlanner interface {
	ClipCameras(t event.Trigger) []string
}

// evidenceRequest is one clip's news for the desk goroutine.
type evidenceRequest struct {
	alarmID string
	clip    alarm.Clip
	reply   chan error // buffered: the desk never waits for the caller
}

// AttachClip records what became of one camera's evidence clip of an
// alarm (ready, failed, no video): on the alarm's clip list and timeline,
// shown on the Board and stored. It works on closed alarms too (an alarm
// may be resolved before the post-roll ends). An unknown alarm gives
// ErrNotFound. It returns once the desk has applied it, not stored it.
func (d *Desk) AttachClip(ctx context.Context, alarmID string, c alarm.Clip) error {
	if alarmID == "" || c.Camera == "" {
		return fmt.Errorf("escalation desk: clip without an alarm id or camera: %w", ErrNotFound)
	}
	r := evidenceRequest{alarmID: alarmID, clip: c, reply: make(chan error, 1)}
	select {
	case d.clips <- r:
	case <-d.done:
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("alarm %s: clip of %s: %w", alarmID, c.Camera, ctx.Err())
	}
	select {
	case err := <-r.reply:
		return err
	case <-d.done:
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("alarm %s: clip of %s: %w", alarmID, c.Camera, ctx.Err())
	}
}

// planClips plans the evidence clips of a new alarm around the instant
// the gateway received its event (the clock the cameras' video is kept
// by).
func (o *owner) planClips(a *alarm.Alarm, t event.Trigger, nowMS int64) {
	p := o.d.cfg.Clips
	if p == nil {
		return
	}
	at := t.Event.Received
	if at == 0 {
		at = nowMS
	}
	a.PlanClips(p.ClipCameras(t), at)
}

// attachClip applies one clip's news on the desk goroutine.
func (o *owner) attachClip(r evidenceRequest) {
	a, _, err := o.find(r.alarmID)
	if err != nil {
		r.reply <- err
		return
	}
	if a.AttachClip(r.clip, o.d.cfg.Now().UnixMilli()) {
		o.d.log.Info("alarm clip", "alarm", a.ID, "camera", r.clip.Camera, "state", r.clip.State, "err", r.clip.Error)
		o.changed(a)
		o.afterBurst()
	}
	r.reply <- nil
}
