package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/firmware-sim/phone"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// startPhones runs one fresh-session phone per paged staff member; each
// resolves an alarm as soon as it is the first to see it.
func (b *Bench) startPhones(ctx context.Context, wg *sync.WaitGroup, tr *tracker) ([]*phone.Phone, error) {
	var out []*phone.Phone
	for _, staff := range b.plan.staff {
		var p *phone.Phone
		onNotify := func(r phone.Received) {
			if !tr.paged(r.Notification, r.At) {
				return
			}
			if err := p.Reply(ctx, r.Notification.AlarmID, event.Resolve, "gridsim bench"); err != nil && ctx.Err() == nil {
				b.cfg.Logger.Warn("resolve not sent", "alarm", r.Notification.AlarmID, "err", err)
			}
		}
		var err error
		p, err = phone.New(phone.Config{
			Dial: b.cfg.Dial, Topics: b.cfg.Topics, Staff: staff, Fresh: true,
			ClientID: uniqueID("gridsim-bench-" + staff), OnNotify: onNotify, Logger: b.cfg.Logger,
		})
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		out = append(out, p)
		wg.Go(func() { _ = p.Run(ctx) })
	}
	return out, nil
}

// connectBackground connects the background publishers; it returns those
// it connected even on error, for the caller to disconnect.
func (b *Bench) connectBackground(ctx context.Context) ([]paho.Client, error) {
	if b.cfg.BackgroundRate <= 0 {
		return nil, nil
	}
	n := min(b.cfg.Publishers, len(b.plan.bgDevs))
	var out []paho.Client
	for i := range n {
		c := paho.NewClient(b.cfg.Dial.Options(uniqueID(fmt.Sprintf("gridsim-bench-bg%d", i))))
		if err := b.cfg.Dial.Connect(ctx, c); err != nil {
			return out, fmt.Errorf("bench: background publisher %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func waitReady(ctx context.Context, phones []*phone.Phone, within time.Duration) error {
	t := time.NewTimer(within)
	defer t.Stop()
	for _, p := range phones {
		select {
		case <-p.Ready():
		case <-t.C:
			return fmt.Errorf("bench: phone %s not subscribed within %v", p.Staff(), within)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// shard returns the i-th of n round-robin slices of devs.
func shard(devs []string, i, n int) []string {
	var out []string
	for j := i; j < len(devs); j += n {
		out = append(out, devs[j])
	}
	return out
}

func uniqueID(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}
