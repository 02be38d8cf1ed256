package rtsp_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/drivers/rtsp"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/prometheus/client_golang/prometheus"
)

// clip is the simulator's committed H.264 test clip.
const clip = "../../firmware-sim/camera/testdata/clip.h264"

// logBuf is a concurrency-safe log destination.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// recorder keeps what reaches the sink.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	tel    []event.Telemetry
}

func (r *recorder) Event(e event.Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }
func (r *recorder) Telemetry(t event.Telemetry) {
	r.mu.Lock()
	r.tel = append(r.tel, t)
	r.mu.Unlock()
}
func (r *recorder) Alive(string, time.Time) {}

func (r *recorder) snapshot() ([]event.Event, []event.Telemetry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...), append([]event.Telemetry(nil), r.tel...)
}

// camera is a pulled camera as the gateway builds it: an RTP listener on
// loopback fed by a Puller, both under one Supervisor with short backoff.
type camera struct {
	l    *rtpstream.Listener
	p    *rtsp.Puller
	sink *recorder
	log  *logBuf
	reg  *prometheus.Registry
	stop func()
}

func startCamera(t *testing.T, cfg rtsp.Config, opts rtsp.Options) *camera {
	t.Helper()
	c := &camera{sink: &recorder{}, log: &logBuf{}, reg: prometheus.NewRegistry()}
	log := slog.New(slog.NewTextHandler(c.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Logger, opts.Registerer = log, c.reg
	// The listener first, as the gateway builds it: the Puller sends to
	// it, and its sink reads the Puller's status.
	var p *rtsp.Puller
	var err error
	c.l, err = rtpstream.New(rtpstream.Config{Device: cfg.Device, Listen: "127.0.0.1:0", TelemetryEvery: time.Second},
		rtsp.Annotate(c.sink, cfg.Device, func() rtsp.Status { return p.Status() }),
		rtpstream.Options{Logger: log, Registerer: c.reg})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = rtsp.New(cfg, c.l, opts); err != nil {
		t.Fatal(err)
	}
	c.p = p
	sup, err := edge.NewSupervisor(edge.Config{MinBackoff: 200 * time.Millisecond, MaxBackoff: time.Second, Logger: log, Registerer: c.reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Add("rtp-"+cfg.Device, c.l); err != nil {
		t.Fatal(err)
	}
	if err := sup.Add("rtsp-"+cfg.Device, p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sup.Run(ctx); close(done) }()
	var once sync.Once
	c.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(c.stop)
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }
