package modbus

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

	"github.com/gridwatch/gridwatch/drivers/modbus/wire"
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
	Port Port
	// Units are the unit ids answering on the line, 1–247.
	Units  []byte
	Logger *slog.Logger
	// Now is the clock for the frame gap; nil means time.Now.
	Now func() time.Time
	// Seed seeds the noise generator, so a faulty run can be replayed.
	Seed uint64
	// Baud, when set, paces replies as a line at that speed would.
	Baud int
}

// Bus is a simulated RS-485 line of Modbus slaves.
type Bus struct {
	port  Port
	units map[byte]*Unit
	log   *slog.Logger
	now   func() time.Time
	rng   *rand.Rand // Run's goroutine only
	baud  int
	gap   time.Duration
}

// readSlice bounds one Read when the port supports deadlines.
const readSlice = 20 * time.Millisecond

// NewBus checks the configuration and builds the bus; it starts nothing.
func NewBus(c BusConfig) (*Bus, error) {
	if c.Port == nil {
		return nil, errors.New("modbus sim: no port")
	}
	if len(c.Units) == 0 {
		return nil, errors.New("modbus sim: a bus needs at least one unit")
	}
	if c.Baud < 0 {
		return nil, fmt.Errorf("modbus sim: baud %d is negative", c.Baud)
	}
	b := &Bus{port: c.Port, units: map[byte]*Unit{}, log: c.Logger, now: c.Now,
		rng: rand.New(rand.NewPCG(c.Seed, 0x3B)), baud: c.Baud, gap: 2 * readSlice}
	if c.Baud > 0 {
		b.gap = max(b.gap, wire.FrameGap(c.Baud))
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	for _, id := range c.Units {
		if id == wire.Broadcast || id > wire.MaxUnit {
			return nil, fmt.Errorf("modbus sim: unit id %d outside 1-%d", id, wire.MaxUnit)
		}
		if b.units[id] != nil {
			return nil, fmt.Errorf("modbus sim: unit id %d listed twice", id)
		}
		b.units[id] = newUnit(id)
	}
	return b, nil
}

// Unit returns the unit with id, or nil.
func (b *Bus) Unit(id byte) *Unit { return b.units[id] }

// IDs lists the unit ids in order.
func (b *Bus) IDs() []byte { return slices.Sorted(maps.Keys(b.units)) }

// Run answers requests until ctx is cancelled (nil) or the port fails.
// Bytes after a silence longer than the frame gap start a new frame; a
// frame with a bad CRC is dropped with everything before the next silence,
// as a real slave does.
func (b *Bus) Run(ctx context.Context) error {
	type deadliner interface{ SetReadDeadline(time.Time) error }
	dl, _ := b.port.(deadliner)
	buf := make([]byte, 0, 2*wire.MaxADU)
	chunk := make([]byte, wire.MaxADU)
	var last time.Time
	for ctx.Err() == nil {
		if dl != nil {
			if err := dl.SetReadDeadline(time.Now().Add(readSlice)); err != nil {
				dl = nil // not pollable: rely on the port's own timeout
			}
		}
		n, err := b.port.Read(chunk)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("modbus sim: read: %w", err)
		}
		if n == 0 {
			continue
		}
		now := b.now()
		if len(buf) > 0 && now.Sub(last) > b.gap {
			b.log.Debug("modbus sim: partial frame dropped at gap", "bytes", len(buf))
			buf = buf[:0]
		}
		last = now
		buf = append(buf, chunk[:n]...)
		for len(buf) > 0 {
			req, used, err := wire.DecodeRequest(buf)
			if errors.Is(err, wire.ErrIncomplete) {
				if len(buf) > wire.MaxADU {
					buf = buf[:0]
				}
				break
			}
			var fe *wire.FrameError
			if errors.As(err, &fe) && fe.Exception == 0 {
				b.log.Debug("modbus sim: request rejected", "err", err)
				buf = buf[:0]
				break
			}
			buf = append(buf[:0], buf[used:]...)
			exc := byte(0)
			if fe != nil {
				exc = fe.Exception
			}
			if err := b.handle(ctx, req, exc, used); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// handle executes one request and answers it, if addressed to one unit.
func (b *Bus) handle(ctx context.Context, req wire.Request, exc byte, reqLen int) error {
	if req.Unit == wire.Broadcast {
		if exc == 0 {
			for _, id := range b.IDs() {
				b.apply(b.units[id], req)
			}
		}
		return nil
	}
	u := b.units[req.Unit]
	if u == nil {
		return nil
	}
	resp := wire.Response{Unit: req.Unit, Func: req.Func, Exception: exc}
	if exc == 0 {
		data, e := b.apply(u, req)
		resp = wire.ReplyFor(req, data)
		resp.Exception = e
	}
	f := u.lineFaults()
	if f.Silent {
		return nil
	}
	out, err := resp.Encode()
	if err != nil {
		return fmt.Errorf("modbus sim: unit %d: %w", u.id, err)
	}
	delay := f.Delay
	if b.baud > 0 {
		delay += wire.TxTime(reqLen+len(out), b.baud)
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
	out = b.damage(out, f)
	if _, err := b.port.Write(out); err != nil {
		return fmt.Errorf("modbus sim: unit %d: write reply: %w", u.id, err)
	}
	return nil
}

// apply executes req on u and logs the coils it switched.
func (b *Bus) apply(u *Unit, req wire.Request) ([]byte, byte) {
	data, exc, changes := u.execute(req)
	for _, c := range changes {
		b.log.Info("modbus sim: coil", "unit", u.id, "coil", c.coil, "on", c.on)
	}
	return data, exc
}

// damage applies line faults to a reply.
func (b *Bus) damage(out []byte, f Faults) []byte {
	if f.Noise == 0 && !f.BadCRC {
		return out
	}
	line := make([]byte, 0, f.Noise+len(out))
	for range f.Noise {
		line = append(line, byte(b.rng.UintN(256)))
	}
	line = append(line, out...)
	if f.BadCRC {
		line[len(line)-1] ^= 0x5A
	}
	return line
}
