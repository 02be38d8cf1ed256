package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofServer serves Go's runtime profiles (net/http/pprof) on a listener
// of its own, for `-pprof ADDR`: `make bench` profiles the alarm path
// with it. It is off by default and refuses anything but a loopback
// address: profiles show the process's internals and cost CPU to take.
type pprofServer struct {
	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// listenPprof binds addr (host:port on loopback; port 0 picks one).
func listenPprof(addr string, log *slog.Logger) (*pprofServer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof %q: want host:port: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-pprof %q: profiles are served on a loopback address only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &pprofServer{ln: ln, log: log, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Addr is where it listens.
func (p *pprofServer) Addr() string { return p.ln.Addr().String() }

// Run serves until ctx ends, then closes the listener and open requests.
func (p *pprofServer) Run(ctx context.Context) error {
	p.log.Warn("serving Go profiles (-pprof): not for production", "addr", p.Addr())
	done := make(chan error, 1)
	go func() { done <- p.srv.Serve(p.ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("-pprof: %w", err)
	case <-ctx.Done():
	}
	_ = p.srv.Close()
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("-pprof: %w", err)
	}
	return nil
}
