package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// DefaultChainTimeout bounds one channel's try in a Chain.
const DefaultChainTimeout = 5 * time.Second

// ChainConfig configures a Chain. Channels is required.
type ChainConfig struct {
	// Name labels the chain; "" means the channel names joined by ">",
	// such as "mqtt>sms".
	Name string
	// Channels are tried in order.
	Channels []Channel
	// Timeout bounds each channel's try; 0 means DefaultChainTimeout.
	Timeout time.Duration
	// Logger may be nil (nothing logged).
	Logger *slog.Logger
	// Metrics may be nil (counted but not exported). Each channel's tries
	// are counted under its own name.
	Metrics *Metrics
	// Delivered, if set, is called with the name of the channel that
	// delivered (for the alarm's timeline).
	Delivered func(staffID string, n event.Notification, channel string)
}

// Chain is a Channel that tries its channels in order for one person and
// stops at the first that delivers. A channel that fails — permanently,
// by timing out, or otherwise — hands over to the next one at once, since
// an alarm should not wait on a broken medium. When every channel failed
// permanently the Chain fails permanently; otherwise its failure is worth
// a retry of the whole chain (by an Outbox, with backoff).
type Chain struct {
	cfg ChainConfig
	log *slog.Logger
	m   *Metrics
}

var _ Channel = (*Chain)(nil)

// NewChain checks cfg and makes a Chain.
func NewChain(cfg ChainConfig) (*Chain, error) {
	var errs []error
	if len(cfg.Channels) == 0 {
		errs = append(errs, errors.New("chain: no channels"))
	}
	var names []string
	for i, c := range cfg.Channels {
		if c == nil || c.Name() == "" {
			errs = append(errs, fmt.Errorf("chain: channel %d is nil or has no name", i))
			continue
		}
		names = append(names, c.Name())
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errors.New("chain: negative timeout"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = strings.Join(names, ">")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultChainTimeout
	}
	c := &Chain{cfg: cfg, log: cfg.Logger, m: cfg.Metrics}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.m == nil {
		c.m, _ = NewMetrics(nil)
	}
	return c, nil
}

// Name labels the chain.
func (c *Chain) Name() string { return c.cfg.Name }

// Send tries each channel in turn until one delivers.
func (c *Chain) Send(ctx context.Context, staffID string, n event.Notification) error {
	// The failures are kept as text: one channel's permanent failure
	// must not make the whole chain's failure look permanent.
	var errs []string
	permanent := true
	for i, ch := range c.cfg.Channels {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err.Error())
			permanent = false
			break
		}
		cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		err := ch.Send(cctx, staffID, n)
		timedOut := err != nil && errors.Is(cctx.Err(), context.DeadlineExceeded)
		cancel()
		c.m.attempt(ch.Name(), err, timedOut)
		if err == nil {
			if i > 0 {
				c.log.Info("delivered by fallback channel", "chain", c.cfg.Name, "channel", ch.Name(),
					"staff", staffID, "alarm", n.AlarmID, "step", n.Step)
			}
			if c.cfg.Delivered != nil {
				c.cfg.Delivered(staffID, n, ch.Name())
			}
			return nil
		}
		if !IsPermanent(err) {
			permanent = false
		}
		errs = append(errs, ch.Name()+": "+err.Error())
		if i+1 < len(c.cfg.Channels) {
			c.log.Warn("channel failed; falling back", "chain", c.cfg.Name, "channel", ch.Name(),
				"next", c.cfg.Channels[i+1].Name(), "staff", staffID, "alarm", n.AlarmID, "timeout", timedOut, "err", err)
		}
	}
	err := fmt.Errorf("chain %s: every channel failed for %s: %s", c.cfg.Name, staffID, strings.Join(errs, "; "))
	if permanent {
		return Permanent(err)
	}
	return err
}
