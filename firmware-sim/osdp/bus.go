package osdp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
)

// Port is the simulator's end of the line. Its Read must return within a
// bounded time: either it has a read deadline (a pty master *os.File) or a
// read timeout that returns (0, nil) (a go.bug.st/serial port).
type Port interface {
	io.Reader
	io.Writer
}

// BusConfig describes one simulated bus.
type BusConfig struct {
	Port   Port
	PDs    []Config
	Logger *slog.Logger
	// Now is the clock for the inter-character gap; nil means time.Now.
	Now func() time.Time
	// Seed seeds the noise generator, so a faulty run can be replayed.
	Seed uint64
	// Baud, when set, paces replies as a line at that speed would: each
	// reply waits the time the command and the reply take on the wire, so
	// a pty shows real polling cycle times.
	Baud int
}

// Bus is a simulated RS-485 bus of PDs answering one control panel.
type Bus struct {
	port Port
	pds  map[byte]*PD
	log  *slog.Logger
	now  func() time.Time
	rng  *rand.Rand // used by Run's goroutine only
	baud int
}

// readSlice bounds one Read when the port supports deadlines.
const readSlice = 50 * time.Millisecond

// NewBus checks the configuration and builds the bus; it starts nothing.
func NewBus(c BusConfig) (*Bus, error) {
	if c.Port == nil {
		return nil, errors.New("osdp sim: no port")
	}
	if len(c.PDs) == 0 {
		return nil, errors.New("osdp sim: a bus needs at least one PD")
	}
	b := &Bus{port: c.Port, pds: map[byte]*PD{}, log: c.Logger, now: c.Now, rng: rand.New(rand.NewPCG(c.Seed, 0x05D9)), baud: c.Baud}
	if c.Baud < 0 {
		return nil, fmt.Errorf("osdp sim: baud %d is negative", c.Baud)
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	var errs []error
	for _, pc := range c.PDs {
		pd, err := newPD(pc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pd.log = b.log
		if _, dup := b.pds[pc.Address]; dup {
			errs = append(errs, fmt.Errorf("osdp sim: two PDs at address 0x%02X", pc.Address))
			continue
		}
		b.pds[pc.Address] = pd
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}

// PD returns the PD at addr, or nil.
func (b *Bus) PD(addr byte) *PD { return b.pds[addr] }

// Addresses lists the PDs' addresses in order.
func (b *Bus) Addresses() []byte { return slices.Sorted(maps.Keys(b.pds)) }

// Run answers commands until ctx is cancelled or the port fails. It returns
// nil on cancellation.
func (b *Bus) Run(ctx context.Context) error {
	type deadliner interface{ SetReadDeadline(time.Time) error }
	dl, _ := b.port.(deadliner)
	r := wire.NewReader()
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		if dl != nil {
			if err := dl.SetReadDeadline(time.Now().Add(readSlice)); err != nil {
				dl = nil // not pollable: rely on the port's own timeout
			}
		}
		n, err := b.port.Read(buf)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("osdp sim: read: %w", err)
		}
		if err := r.Push(b.now(), buf[:n]); err != nil {
			b.log.Debug("osdp sim: frame dropped", "err", err)
		}
		for {
			f, raw, err := r.Next()
			if errors.Is(err, wire.ErrIncomplete) {
				break
			}
			if err != nil {
				b.log.Debug("osdp sim: rejected", "err", err)
				continue
			}
			if err := b.handle(ctx, f, raw); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// handle answers one frame read off the line.
func (b *Bus) handle(ctx context.Context, f wire.Frame, raw []byte) error {
	if f.Reply {
		return nil // another PD's reply on a shared line
	}
	var pd *PD
	replyAddr := f.Addr
	if f.Addr == wire.Broadcast {
		if len(b.pds) != 1 {
			// Every PD acts on it; replies would collide, so none answers.
			for _, p := range b.pds {
				p.respond(f, raw, wire.Broadcast)
			}
			return nil
		}
		for _, p := range b.pds {
			pd = p
		}
	} else if pd = b.pds[f.Addr]; pd == nil {
		return nil
	}
	out := pd.respond(f, raw, replyAddr)
	if out == nil {
		return nil
	}
	faults := pd.lineFaults()
	b.log.Debug("osdp sim: reply", "pd", pd.addr, "cmd", wire.CodeName(f.Code, false), "sqn", f.SQN, "faults", faults)
	delay := faults.Delay
	if b.baud > 0 {
		delay += time.Duration(len(raw)+1+len(out)) * 10 * time.Second / time.Duration(b.baud)
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	out = b.damage(out, faults)
	if _, err := b.port.Write(out); err != nil {
		return fmt.Errorf("osdp sim: write reply of PD 0x%02X: %w", pd.addr, err)
	}
	return nil
}

// damage applies line faults to a copy of a reply.
func (b *Bus) damage(out []byte, f Faults) []byte {
	if f.Noise == 0 && !f.FlipBit && !f.Truncate {
		return out
	}
	line := make([]byte, 0, f.Noise+len(out))
	for range f.Noise {
		line = append(line, byte(b.rng.UintN(256)))
	}
	start := len(line)
	line = append(line, out...)
	if f.FlipBit {
		i := start + 1 + b.rng.IntN(len(out)-1) // never the mark byte
		line[i] ^= 1 << b.rng.UintN(8)
	}
	if f.Truncate {
		line = line[:start+len(out)/2]
	}
	return line
}
