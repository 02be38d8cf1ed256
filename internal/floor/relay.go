package floor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// DefaultMaxPacketSize is gridwatchd's embedded broker's default bound on
// a packet (ingest.max_payload + 4 KiB), which the relay's broker uses too.
const DefaultMaxPacketSize = 64<<10 + 4<<10

// Config is one relay. Exactly one of Listen and Broker is set.
type Config struct {
	// Listen runs an embedded mochi-mqtt broker on this address
	// ("127.0.0.1:1883"), anonymous, as gridwatchd's on loopback.
	Listen string
	// Broker is an external broker's URL (tcp://host:port) to subscribe to.
	Broker string
	Topics wire.Topics
	// Pages says who is paged for each light box. Presses of other
	// devices are acknowledged and dropped.
	Pages map[string]Recipient
	// Journal is the file the relay appends a line to per press.
	Journal string
	Logger  *slog.Logger
	// Now is the wall clock (page and journal stamps); nil: time.Now.
	Now func() time.Time
}

// Relay is the floor relay. New starts nothing.
type Relay struct {
	cfg   Config
	ready chan struct{}
	// telemetry counts the telemetry messages taken (and dropped) from an
	// external broker.
	telemetry atomic.Int64
}

// Telemetry is how many telemetry messages the relay has taken from an
// external broker (and dropped).
func (r *Relay) Telemetry() int64 { return r.telemetry.Load() }

// New checks cfg.
func New(cfg Config) (*Relay, error) {
	var errs []error
	if (cfg.Listen == "") == (cfg.Broker == "") {
		errs = append(errs, errors.New("floor: set exactly one of Listen (embedded broker) and Broker (external)"))
	}
	if cfg.Journal == "" {
		errs = append(errs, errors.New("floor: a journal file is required"))
	}
	if len(cfg.Pages) == 0 {
		errs = append(errs, errors.New("floor: no light box has anyone to page"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = wire.DefaultRoot
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Relay{cfg: cfg, ready: make(chan struct{})}, nil
}

// Ready is closed once the relay takes presses (its broker listens, or
// its subscription is acknowledged).
func (r *Relay) Ready() <-chan struct{} { return r.ready }

// Run opens the journal and relays until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	j, err := openJournal(r.cfg.Journal)
	if err != nil {
		return err
	}
	defer j.close()
	h := &handler{cfg: r.cfg, j: j}
	if r.cfg.Listen != "" {
		return runEmbedded(ctx, r.cfg, h, r.ready)
	}
	return runExternal(ctx, r.cfg, h, &r.telemetry, r.ready)
}

// handler turns one inbound event message into a journal line and a page.
type handler struct {
	cfg Config
	j   *journal
}

// press journals the event on topic if it is a panic press of a light box
// the relay pages for, and returns the page to publish (topic "" for
// none). An error means the press was not stored and must not be
// acknowledged.
func (h *handler) press(topic string, payload []byte) (string, []byte, error) {
	kind, dev := h.cfg.Topics.Parse(topic)
	if kind != wire.KindEvent {
		return "", nil, nil
	}
	to, ok := h.cfg.Pages[dev]
	if !ok {
		return "", nil, nil
	}
	var m wire.EventMsg
	if json.Unmarshal(payload, &m) != nil || (m.Type != event.ButtonPressed && m.Type != event.ButtonDuress) {
		return "", nil, nil
	}
	if bytes.ContainsAny(payload, "\r\n") {
		var b bytes.Buffer
		if err := json.Compact(&b, payload); err != nil {
			return "", nil, nil
		}
		payload = b.Bytes()
	}
	now := h.cfg.Now().UnixMilli()
	id, err := h.j.append(now, dev, payload)
	if err != nil {
		return "", nil, err
	}
	evMS := m.TS
	if evMS == 0 {
		evMS = now
	}
	n := event.Notification{
		AlarmID: "F" + strconv.FormatInt(id, 10), Rule: "panic", Severity: event.Red, Title: dev + " panic",
		Device: dev, Grid: to.Grid, RaisedMS: now, EventMS: evMS, Count: 1,
		PageID: "F" + strconv.FormatInt(id, 10) + "-" + to.Staff,
	}
	page, err := json.Marshal(n)
	if err != nil {
		return "", nil, fmt.Errorf("floor: page: %w", err)
	}
	return h.cfg.Topics.Notify(to.Staff), page, nil
}
