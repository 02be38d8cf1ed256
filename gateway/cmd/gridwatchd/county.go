package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/countyconfig"
)

// countyCmd runs the county view:
//
//	gridwatchd county -config county.yaml [-check]
//
// It follows the county cluster (every site's uplink) and serves the
// console and API in county mode until SIGINT or SIGTERM.
func countyCmd(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gridwatchd county", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "the county view's config file (YAML); required")
	check := fs.Bool("check", false, "validate the config, then exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: gridwatchd county -config county.yaml [-check]")
	}
	cfg, err := countyconfig.Load(*path)
	if err != nil {
		return err
	}
	if *check {
		fmt.Fprintln(stderr, "county config is valid")
		return nil
	}
	log := newLogger(cfg.Log, stderr)
	c, err := app.NewCounty(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.Run(ctx)
}
