package app

import (
	"fmt"
	"os"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/drivers/rtsp"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// rtspCamera puts a camera the gateway pulls (registry rtsp:) under sup:
// its RTP listener on 127.0.0.1:0, judged like any camera's (with the
// thresholds its rtp: gives, if any), and an ffmpeg
// Puller that pulls the RTSP stream into it. The listener's events and
// telemetry carry the pull's state (rtsp_*), so a refused login or an
// unreachable camera shows in its device status and its stream alarm.
//
// The password's env: variable is read here, once; a variable that is not
// set fails the camera's pull (reason credentials) instead of the gateway,
// so the rest of the site still runs.
func (a *App) rtspCamera(d *registry.Device, sink edge.Sink, sup *edge.Supervisor) error {
	cfg := rtsp.Config{Device: d.ID, URL: d.RTSP.URL, Transport: d.RTSP.Transport, Username: d.RTSP.Username}
	var credErr error
	if env := d.RTSP.PasswordEnv(); env != "" {
		if v := os.Getenv(env); v != "" {
			cfg.Password = v
		} else {
			credErr = fmt.Errorf("environment variable %s (rtsp.password) is not set", env)
		}
	}
	lcfg := rtpstream.Config{Device: d.ID}
	if d.RTP != nil { // thresholds only
		lcfg = rtpConfig(d.ID, d.RTP)
	}
	lcfg.Listen = "127.0.0.1:0"
	opts, err := a.rtpOptions(d.ID) // with the camera's recorder (video.go)
	if err != nil {
		return err
	}
	var p *rtsp.Puller
	l, err := rtpstream.New(lcfg,
		rtsp.Annotate(sink, d.ID, func() rtsp.Status { return p.Status() }), // called once the listener runs
		opts)
	if err != nil {
		return a.errf("camera %s: %w", d.ID, err)
	}
	p, err = rtsp.New(cfg, l, rtsp.Options{Logger: a.log.With("component", "rtsp"), Registerer: a.metrics,
		CredentialsErr: credErr})
	if err != nil {
		return a.errf("camera %s: %w", d.ID, err)
	}
	if err := sup.Add("rtp-"+d.ID, l); err != nil {
		return a.errf("%w", err)
	}
	if err := sup.Add("rtsp-"+d.ID, p); err != nil {
		return a.errf("%w", err)
	}
	return nil
}
