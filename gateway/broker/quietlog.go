package broker

import (
	"context"
	"errors"
	"log/slog"
	"net"
)

// quietHandler passes mochi's log lines on, except the one it writes at
// WARN for every client connection closed while the broker stops ("use of
// closed network connection"), which is how a stop looks, not a fault.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		closing := false
		r.Attrs(func(a slog.Attr) bool {
			if err, ok := a.Value.Any().(error); ok && errors.Is(err, net.ErrClosed) {
				closing = true
				return false
			}
			return true
		})
		if closing {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}
