package scenario

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/firmware-sim/phone"
)

// Config is where a scenario runs.
type Config struct {
	Dial   mqttconn.Dial
	Topics wire.Topics
	// Out receives one progress line per step; nil discards them.
	Out    io.Writer
	Logger *slog.Logger
	// Broadcaster sends the script's broadcasts (the gateway's HTTP API);
	// required when the script has broadcast steps.
	Broadcaster Broadcaster
}

// Broadcaster sends an operator's broadcast and returns its id.
type Broadcaster interface {
	Broadcast(ctx context.Context, grid, text string) (id string, err error)
}

// Failure is one expectation that was not met.
type Failure struct {
	Where string // FILE:LINE
	Msg   string
}

// Failed is the error of a run in which some expectations were not met.
type Failed struct{ Failures []Failure }

// Error lists the failures, one per line.
func (f *Failed) Error() string {
	lines := []string{fmt.Sprintf("scenario failed: %d expectation(s) not met", len(f.Failures))}
	for _, x := range f.Failures {
		lines = append(lines, x.Where+": "+x.Msg)
	}
	return strings.Join(lines, "\n")
}

// Runner plays one script. New starts nothing.
type Runner struct {
	cfg    Config
	script *Script
}

// NewRunner checks the configuration.
func NewRunner(cfg Config, s *Script) (*Runner, error) {
	if s == nil || len(s.Steps) == 0 {
		return nil, errors.New("scenario: no steps")
	}
	if err := cfg.Dial.Validate(); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if s.Broadcasts() && cfg.Broadcaster == nil {
		return nil, errors.New("scenario: the scenario sends broadcasts: it needs the gateway's HTTP API")
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = wire.DefaultRoot
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Runner{cfg: cfg, script: s}, nil
}

// run is the state of one play of the script.
type run struct {
	*Runner
	pub      paho.Client            // publishes for every device (shared logins)
	pubs     map[string]paho.Client // one client per device (Dial.PerID)
	phones   map[string]*phone.Phone
	inboxes  map[string]*inbox[phone.Received]
	commands map[string]*inbox[gotCommand] // the devices whose commands a step expects
	seq      map[string]int64
	start    time.Time
	failures []Failure
}

// Run plays the script once: it connects its phones (fresh sessions, so
// only what happens now counts) and a publisher, then runs each step at
// its offset. It returns a *Failed if any expectation was not met, and
// another error if the run could not be carried out at all.
func (r *Runner) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	st := &run{Runner: r, phones: map[string]*phone.Phone{}, inboxes: map[string]*inbox[phone.Received]{},
		commands: map[string]*inbox[gotCommand]{}, seq: map[string]int64{}}
	for _, staff := range r.script.Phones() {
		box := newInbox[phone.Received]()
		p, err := phone.New(phone.Config{
			Dial: r.cfg.Dial.As(staff), Topics: r.cfg.Topics, Staff: staff, Fresh: true,
			ClientID: uniqueID("gridsim-scn-" + staff),
			OnNotify: box.put, Logger: r.cfg.Logger,
		})
		if err != nil {
			return err
		}
		st.phones[staff], st.inboxes[staff] = p, box
		wg.Go(func() { _ = p.Run(ctx) })
	}
	defer st.disconnectPublishers()
	if err := st.connectPublishers(ctx); err != nil {
		return err
	}
	if err := st.watchCommands(ctx); err != nil {
		return err
	}
	if err := st.waitPhones(ctx); err != nil {
		return err
	}

	st.start = time.Now()
	for _, step := range r.script.Steps {
		if !sleepUntil(ctx, st.start.Add(step.At)) {
			return fmt.Errorf("scenario interrupted at %s: %w", step.Where(r.script.File), ctx.Err())
		}
		if err := st.do(ctx, step); err != nil {
			return fmt.Errorf("%s: %w", step.Where(r.script.File), err)
		}
	}
	if len(st.failures) > 0 {
		st.printf("FAIL  %d expectation(s) not met", len(st.failures))
		return &Failed{Failures: st.failures}
	}
	st.printf("PASS  %d steps", len(r.script.Steps))
	return nil
}

func (st *run) waitPhones(ctx context.Context) error {
	t := time.NewTimer(st.cfg.Dial.Ack() + mqttconn.DefaultConnectTimeout)
	defer t.Stop()
	for staff, p := range st.phones {
		select {
		case <-p.Ready():
		case <-t.C:
			return fmt.Errorf("scenario: phone %s could not subscribe to %s", staff, st.cfg.Topics.Notify(staff))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (st *run) printf(format string, args ...any) {
	el := 0.0
	if !st.start.IsZero() {
		el = time.Since(st.start).Seconds()
	}
	fmt.Fprintf(st.cfg.Out, "%8.3fs  %s\n", el, fmt.Sprintf(format, args...))
}

func (st *run) fail(step Step, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	st.printf("FAIL  %s", msg)
	st.failures = append(st.failures, Failure{Where: step.Where(st.script.File), Msg: msg})
}

// do carries out one step. Expectations that are not met are recorded;
// only a broken connection is returned as an error.
func (st *run) do(ctx context.Context, step Step) error {
	switch step.Kind {
	case Publish:
		return st.publishEvent(ctx, step)
	case Telemetry:
		return st.publishTelemetry(ctx, step)
	case Expect:
		if step.None {
			st.expectNone(ctx, step)
		} else {
			st.expect(ctx, step)
		}
	case ExpectCommand:
		if step.None {
			st.expectNoCommand(ctx, step)
		} else {
			st.expectCommand(ctx, step)
		}
	case Reply:
		return st.reply(ctx, step)
	case Broadcast:
		st.broadcast(ctx, step)
	}
	return nil
}

// broadcast sends the step's broadcast; a refusal fails the step.
func (st *run) broadcast(ctx context.Context, step Step) {
	b := step.Broadcast
	scope := b.Grid
	if scope == "" {
		scope = "the whole site"
	}
	id, err := st.cfg.Broadcaster.Broadcast(ctx, b.Grid, b.Text)
	if err != nil {
		st.fail(step, "broadcast to %s not sent: %v", scope, err)
		return
	}
	st.printf("broadcast %s to %s: %q", id, scope, b.Text)
}

func (st *run) publishEvent(ctx context.Context, step Step) error {
	now := time.Now()
	seq, ok := st.seq[step.Device]
	if !ok {
		seq = now.UnixMicro() // unlikely to repeat an earlier run's numbers
	}
	seq++
	st.seq[step.Device] = seq
	b, err := json.Marshal(wire.EventMsg{Type: step.Event, TS: now.UnixMilli(), Seq: seq, Data: step.Data})
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if err := st.cfg.Dial.Publish(ctx, st.publisher(step.Device), st.cfg.Topics.Event(step.Device), 1, false, b); err != nil {
		return err
	}
	st.printf("%s  %s seq=%d (acked in %v)", step.Device, step.Event, seq, time.Since(now).Round(time.Microsecond))
	return nil
}

func (st *run) publishTelemetry(ctx context.Context, step Step) error {
	fields := make(map[string]any, len(step.Telemetry)+1)
	fields["ts"] = time.Now().UnixMilli()
	for k, v := range step.Telemetry {
		fields[k] = v
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("encode telemetry: %w", err)
	}
	if err := st.cfg.Dial.Publish(ctx, st.publisher(step.Device), st.cfg.Topics.Telemetry(step.Device), 1, false, b); err != nil {
		return err
	}
	st.printf("%s  telemetry %s", step.Device, string(b))
	return nil
}

func (st *run) expect(ctx context.Context, step Step) {
	box := st.inboxes[step.Phone]
	var r phone.Received
	switch st.wait(ctx, step, box.changed, func() bool {
		var ok bool
		r, ok = box.take(func(r phone.Received) bool { return step.Expect.Matches(r.Notification) })
		return ok
	}) {
	case found:
		n := r.Notification
		if n.Kind == KindBroadcast {
			st.printf("ok    %s got broadcast %s %q at +%.3fs", step.Phone, n.BroadcastID, n.Text, r.At.Sub(st.start).Seconds())
			return
		}
		st.printf("ok    %s got %s step %d %s %q (alarm %s) at +%.3fs",
			step.Phone, n.Device, n.Step, n.Severity, n.Title, n.AlarmID, r.At.Sub(st.start).Seconds())
	case timedOut:
		st.fail(step, "%s: no notification matching %s within %v; %s", step.Phone, step.Expect, step.Within, describe(box.unused()))
	case interrupted:
		st.fail(step, "%s: interrupted while waiting for %s", step.Phone, step.Expect)
	}
}

func (st *run) reply(ctx context.Context, step Step) error {
	last, ok := st.inboxes[step.Phone].last(func(r phone.Received) bool { return r.Notification.AlarmID != "" })
	if !ok {
		st.fail(step, "%s: no alarm received yet, nothing to %s", step.Phone, step.Reply)
		return nil
	}
	id := last.Notification.AlarmID
	if err := st.phones[step.Phone].Reply(ctx, id, step.Reply, step.Note); err != nil {
		return err
	}
	st.printf("%s  %s alarm %s", step.Phone, step.Reply, id)
	return nil
}

// describe lists the notifications a phone got that nothing claimed.
func describe(rs []phone.Received) string {
	if len(rs) == 0 {
		return "got none"
	}
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		n := r.Notification
		if n.Kind == KindBroadcast {
			parts = append(parts, fmt.Sprintf("{kind: broadcast, grid: %s, text: %q}", n.Grid, n.Text))
			continue
		}
		parts = append(parts, fmt.Sprintf("{device: %s, grid: %s, rule: %s, severity: %s, step: %d}", n.Device, n.Grid, n.Rule, n.Severity, n.Step))
	}
	return "got instead: " + strings.Join(parts, ", ")
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func uniqueID(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// connectPublishers connects the client that publishes for every device,
// or with per-id logins (Dial.PerID) one client per device, logged in as
// that device.
func (st *run) connectPublishers(ctx context.Context) error {
	if !st.cfg.Dial.PerID {
		st.pub = paho.NewClient(st.cfg.Dial.Options(uniqueID("gridsim-scn")))
		if err := st.cfg.Dial.Connect(ctx, st.pub); err != nil {
			st.pub = nil
			return fmt.Errorf("scenario: %w", err)
		}
		return nil
	}
	st.pubs = map[string]paho.Client{}
	for _, dev := range st.script.Devices() {
		d := st.cfg.Dial.As(dev)
		c := paho.NewClient(d.Options(uniqueID("gridsim-scn-" + dev)))
		if err := d.Connect(ctx, c); err != nil {
			return fmt.Errorf("scenario: device %s: %w", dev, err)
		}
		st.pubs[dev] = c
	}
	return nil
}

// publisher is the client that publishes for device.
func (st *run) publisher(device string) paho.Client {
	if c, ok := st.pubs[device]; ok {
		return c
	}
	return st.pub
}

func (st *run) disconnectPublishers() {
	quiesce := uint(mqttconn.DisconnectQuiesce / time.Millisecond)
	if st.pub != nil {
		st.pub.Disconnect(quiesce)
	}
	for _, c := range st.pubs {
		c.Disconnect(quiesce)
	}
}
