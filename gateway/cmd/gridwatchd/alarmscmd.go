package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/config"
)

const alarmsUsage = `usage: gridwatchd alarms reset [-config FILE]

Recovers from a damaged alarm store (data_dir/alarms.db), with every
gridwatchd on the data directory stopped: the damaged file is set aside
(alarms.db.corrupt-<time>) and a new store starts after the journal's last
event, so nothing in the journal is raised again. Alarms that were open are
not restored; their events stay in the journal (data_dir/journal).`

// alarmsCmd is `gridwatchd alarms reset`.
func alarmsCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "reset" {
		fmt.Fprintln(stderr, alarmsUsage)
		return errors.New("gridwatchd alarms: unknown or missing subcommand (want: reset)")
	}
	fs := flag.NewFlagSet("gridwatchd alarms reset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, alarmsUsage); fs.PrintDefaults() }
	cfgPath := fs.String("config", "", "config file: its data_dir")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	report, err := app.ResetAlarmStore(cfg, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, report)
	return nil
}
