package rtsp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/edge"
)

// Target is where the pulled video goes: the camera's RTP listener
// (drivers/rtpstream's Listener). Addr is nil until it is bound.
type Target interface {
	Addr() net.Addr
}

// Options are the Puller's collaborators. All are optional.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock of Status's times; nil is time.Now.
	Now func() time.Time
	// CredentialsErr, when set, is why the camera's credentials could not
	// be resolved (a missing env: variable): each Run fails with
	// ReasonCredentials without starting ffmpeg.
	CredentialsErr error
}

// States of a pull.
const (
	StateConnecting = "connecting" // ffmpeg runs, the stream has not started
	StateStreaming  = "streaming"  // ffmpeg has the stream and sends it on
	StateFailed     = "failed"     // ffmpeg ended; the Supervisor starts it again
)

// Status is a snapshot of one camera's pull. It carries no secret.
type Status struct {
	Device string
	// URL is the camera's URL, redacted; Transport tcp or udp.
	URL, Transport string
	State          string
	// Reason is why the last pull failed (a Reason* constant), Error
	// ffmpeg's line that says so, redacted; both stay after a later
	// start until the stream flows again.
	Reason, Error string
	// Codec is the video codec the camera sends (h264, hevc), as ffmpeg
	// found it; empty until the first connection.
	Codec string
	// Since is when State was entered.
	Since time.Time
	// Starts counts ffmpeg runs, Streams those that got the stream,
	// Failures the failed ones by reason.
	Starts, Streams int64
	Failures        map[string]int64
}

// Puller pulls one camera. New builds it; Run runs one ffmpeg.
type Puller struct {
	cfg     Config
	target  *url.URL
	to      Target
	log     *slog.Logger
	now     func() time.Time
	scrub   scrubber
	credErr error

	mu sync.Mutex
	st Status
}

// New checks cfg and registers the Puller's metrics. It starts nothing.
func New(cfg Config, to Target, opts Options) (*Puller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if to == nil {
		return nil, fmt.Errorf("rtsp %s: no target listener", cfg.Device)
	}
	cfg = cfg.withDefaults()
	target, _ := cfg.target()
	p := &Puller{cfg: cfg, target: target, to: to, log: opts.Logger, now: opts.Now,
		scrub: newScrubber(target), credErr: opts.CredentialsErr}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.st = Status{Device: cfg.Device, URL: target.Redacted(), Transport: cfg.Transport,
		State: StateConnecting, Since: p.now(), Failures: map[string]int64{}}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(newCollector(cfg.Device, p.Status)); err != nil {
			return nil, fmt.Errorf("rtsp %s: metrics: %w", cfg.Device, err)
		}
	}
	return p, nil
}

var _ edge.Driver = (*Puller)(nil)

// Status returns a snapshot of the pull.
func (p *Puller) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	st.Failures = make(map[string]int64, len(p.st.Failures))
	for k, v := range p.st.Failures {
		st.Failures[k] = v
	}
	return st
}

// Run waits for the listener to be bound, then runs ffmpeg until it ends,
// ctx ends, or the listener moves to another port. It returns nil once
// ctx ends and an error (redacted, with its reason) when the pull failed,
// so that its Supervisor starts it again after a backoff.
func (p *Puller) Run(ctx context.Context) error {
	if p.credErr != nil {
		return p.fail(ReasonCredentials, p.credErr.Error())
	}
	to, err := p.waitTarget(ctx)
	if err != nil || to == nil {
		return nil // ctx ended
	}
	return p.pull(ctx, to)
}

// waitTarget returns the listener's address once it is bound, nil if ctx
// ends first.
func (p *Puller) waitTarget(ctx context.Context) (net.Addr, error) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if a := p.to.Addr(); a != nil {
			return a, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// maxLines is how many of ffmpeg's last lines a failure is judged from.
const maxLines = 40

// pull runs one ffmpeg sending to addr.
func (p *Puller) pull(ctx context.Context, addr net.Addr) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(runCtx, p.cfg.FFmpeg, args(p.cfg, p.target, loopback(addr))...)
	// SIGTERM lets ffmpeg close the RTSP session (TEARDOWN); SIGKILL
	// after 5 s if it does not end.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setParentDeathSignal(cmd.SysProcAttr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return p.fail(ReasonExited, err.Error())
	}
	var retry bool // a retry after a failure: the Supervisor logged it
	p.set(func(st *Status) {
		retry = st.State == StateFailed && st.Reason != ""
		st.Starts++
		p.enter(st, StateConnecting)
	})
	if err := cmd.Start(); err != nil {
		return p.fail(ReasonExited, fmt.Sprintf("cannot start %s: %v", p.cfg.FFmpeg, err))
	}
	level := slog.LevelInfo
	if retry {
		level = slog.LevelDebug // a camera that stays away logs its failures, not every try
	}
	p.log.Log(ctx, level, "rtsp pull started", "device", p.cfg.Device, "url", p.st.URL, "transport", p.cfg.Transport,
		"to", addr.String(), "pid", cmd.Process.Pid)

	// The listener moving to another port (it was restarted) ends this
	// ffmpeg: the next one sends to the new port.
	var wg sync.WaitGroup
	moved := make(chan struct{})
	wg.Go(func() { p.watchTarget(runCtx, addr, moved, stop) })
	lines := p.readLog(stderr)
	err = cmd.Wait()
	stop()
	wg.Wait()
	switch {
	case ctx.Err() != nil:
		p.set(func(st *Status) { p.enter(st, StateFailed) })
		return nil
	case isClosed(moved):
		return p.fail(ReasonExited, "the camera's RTP listener moved to another port")
	}
	reason, line := classify(lines, err == nil)
	if line == "" && err != nil {
		line = err.Error()
	}
	return p.fail(reason, line)
}

// readLog reads ffmpeg's output until it ends: it notes the codec and the
// start of the stream, logs each line redacted at debug level, and
// returns the last maxLines lines (redacted).
func (p *Puller) readLog(r io.Reader) []string {
	var last []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64*1024)
	for sc.Scan() {
		line := p.scrub.Scrub(sc.Text())
		p.log.Debug("ffmpeg", "device", p.cfg.Device, "line", line)
		if codec, ok := codecOf(line); ok {
			p.set(func(st *Status) { st.Codec = codec })
		}
		if started(line) {
			p.set(func(st *Status) {
				st.Streams++
				st.Reason, st.Error = "", ""
				p.enter(st, StateStreaming)
			})
			st := p.Status()
			p.log.Info("rtsp streaming", "device", p.cfg.Device, "url", st.URL, "codec", st.Codec)
		}
		if len(last) == maxLines {
			last = append(last[:0], last[1:]...)
		}
		last = append(last, line)
	}
	// Keep draining on a read error (a line over 64 KiB): ffmpeg must
	// never block on a full pipe.
	_, _ = io.Copy(io.Discard, r)
	return last
}

// watchTarget closes moved and stops the run when the listener's address
// is no longer addr.
func (p *Puller) watchTarget(ctx context.Context, addr net.Addr, moved chan struct{}, stop func()) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a := p.to.Addr(); a == nil || a.String() != addr.String() {
			close(moved)
			stop()
			return
		}
	}
}

// fail records a failed pull and returns its error.
func (p *Puller) fail(reason, line string) error {
	p.set(func(st *Status) {
		st.Failures[reason]++
		st.Reason, st.Error = reason, line
		p.enter(st, StateFailed)
	})
	return fmt.Errorf("rtsp %s: %s (%s): %s", p.cfg.Device, p.st.URL, reason, line)
}

// enter moves st to state, noting when.
func (p *Puller) enter(st *Status, state string) {
	if st.State != state {
		st.State, st.Since = state, p.now()
	}
}

func (p *Puller) set(f func(*Status)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.st)
}

// loopback is the host:port to send to: the listener's port on loopback
// when it is bound to every address.
func loopback(a net.Addr) string {
	if ua, ok := a.(*net.UDPAddr); ok && (ua.IP == nil || ua.IP.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(ua.Port))
	}
	return a.String()
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
