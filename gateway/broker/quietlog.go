package broker

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/gridwatch/gridwatch/gateway/ratelog"
)

// quietHandler passes mochi's log lines on, tamed:
//   - the WARN it writes for every client connection closed while the
//     broker stops ("use of closed network connection") is dropped: that is
//     how a stop looks, not a fault;
//   - a packet attached to a line (mochi logs a refused publish whole, so
//     100 publishes of 30 KB made 9 MB of log a second) is cut to its type,
//     topic and size;
//   - lines at WARN and above go out at most once per interval per message
//     (ratelog), with the count of those held back: clients choose what
//     makes mochi write them.
type quietHandler struct {
	slog.Handler
	lim *ratelog.Limiter
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	closing := false
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && errors.Is(err, net.ErrClosed) {
			closing = true
		}
		out.AddAttrs(summarize(a))
		return true
	})
	if r.Level < slog.LevelWarn {
		return h.Handler.Handle(ctx, out)
	}
	if closing && r.Level == slog.LevelWarn {
		return nil
	}
	suppressed, ok := h.lim.Allow(r.Message)
	if !ok {
		return nil
	}
	if suppressed > 0 {
		out.AddAttrs(slog.Int("suppressed", suppressed))
	}
	return h.Handler.Handle(ctx, out)
}

// summarize replaces a packet by what a reader needs of it.
func summarize(a slog.Attr) slog.Attr {
	pk, ok := a.Value.Any().(packets.Packet)
	if !ok {
		return a
	}
	return slog.Group(a.Key,
		slog.String("type", packets.PacketNames[pk.FixedHeader.Type]),
		slog.String("topic", clip(pk.TopicName)),
		slog.Int("payload_bytes", len(pk.Payload)))
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as), h.lim}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name), h.lim}
}
