// Command gridwatchd is the gridwatch edge gateway daemon.
//
//	gridwatchd [-config FILE] [-check] [-pprof 127.0.0.1:6060]
//	gridwatchd rules test [-config FILE] [-rules FILE] [-events FILE.jsonl]
//	gridwatchd passwd < password
//	gridwatchd alarms reset [-config FILE]
//	gridwatchd county -config county.yaml [-check]
//
// With no file it runs with the defaults: an embedded MQTT broker on
// 127.0.0.1:1883, HTTP on 127.0.0.1:8080, data in ./data and the built-in
// rules. SIGINT/SIGTERM drain and stop; SIGHUP reloads the registry and the
// rule file.
//
// -pprof serves Go's runtime profiles (net/http/pprof) on a loopback
// address of its own, for profiling under load (`make bench`).
//
// GRIDWATCH_CLOCK_OFFSET_FILE, when set, names a file holding a Go
// duration ("-1h") that the daemon adds to every reading of the system's
// wall clock, re-read each second: the fault suite steps a real daemon's
// clock with it without touching the machine's.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/clock"
	"github.com/gridwatch/gridwatch/gateway/config"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rules" {
		return rulesCmd(args[1:], os.Stdout, stderr)
	}
	if len(args) > 0 && args[0] == "passwd" {
		return passwdCmd(args[1:], os.Stdin, os.Stdout)
	}
	if len(args) > 0 && args[0] == "county" {
		return countyCmd(args[1:], stderr)
	}
	if len(args) > 0 && args[0] == "alarms" {
		return alarmsCmd(args[1:], os.Stdout, stderr)
	}
	fs := flag.NewFlagSet("gridwatchd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (YAML); empty runs with the defaults")
	check := fs.Bool("check", false, "validate the config and registry, then exit")
	pprofAddr := fs.String("pprof", "", "serve Go profiles (/debug/pprof/) on this loopback host:port; off by default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	var opts []app.Option
	if path := os.Getenv("GRIDWATCH_CLOCK_OFFSET_FILE"); path != "" {
		log.Warn("the wall clock is read with the offset in GRIDWATCH_CLOCK_OFFSET_FILE (a testing aid)", "path", path)
		opts = append(opts, app.WithWallClock(clock.NewOffsetWall(path).Now))
	}
	a, err := app.New(cfg, log, opts...)
	if err != nil {
		return err
	}
	if *check {
		fmt.Fprintln(stderr, "config and registry are valid")
		return nil
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pprofAddr != "" {
		p, err := listenPprof(*pprofAddr, log)
		if err != nil {
			return err
		}
		pctx, stopPprof := context.WithCancel(ctx)
		pdone := make(chan error, 1)
		go func() { pdone <- p.Run(pctx) }()
		defer func() {
			stopPprof()
			if err := <-pdone; err != nil {
				log.Warn("pprof server", "err", err)
			}
		}()
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	for {
		select {
		case <-hup:
			_ = a.Reload() // logged; what is refused stays as it was
		case err := <-done:
			return err
		}
	}
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
