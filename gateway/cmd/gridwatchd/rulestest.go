package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/escalate"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

const rulesUsage = `usage: gridwatchd rules test [-config FILE] [-rules FILE] [-registry FILE] [-events FILE.jsonl]

Runs the test cases a rule file carries, then, with -events, replays a
recorded event log (the journal's format: one event per line) through the
rules and prints which alarms would open, escalate and clear, and when.
Without -rules the config's rules (or the built-in set) are used. Test
cases run on the file's fixture: registry when it has one, else on the
registry given. Serial-
polled devices (osdp:, modbus:) count as answering their polls, except
while their bus is down (bus.fault to bus.restored). It exits 1 when a
test case fails.`

// rulesCmd is `gridwatchd rules test`.
func rulesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(stderr, rulesUsage)
		return errors.New("gridwatchd rules: unknown or missing subcommand (want: test)")
	}
	fs := flag.NewFlagSet("gridwatchd rules test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, rulesUsage); fs.PrintDefaults() }
	cfgPath := fs.String("config", "", "config file: its rules, registry and escalation policy")
	rulesPath := fs.String("rules", "", "rule file (default: the config's, else the built-in set)")
	regPath := fs.String("registry", "", "registry file (default: the config's)")
	eventsPath := fs.String("events", "", "events to replay (.jsonl, e.g. a journal segment)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *rulesPath == "" {
		*rulesPath = cfg.Rules
	}
	file, err := rulefile.Load(*rulesPath)
	if err != nil {
		return err
	}
	reg := registry.Empty()
	if *regPath == "" && !cfg.RegistryOptional() {
		*regPath = cfg.Registry
	}
	if *regPath != "" {
		if reg, err = registry.Load(*regPath); err != nil {
			return err
		}
	} else if *eventsPath != "" || file.Fixture == nil {
		fmt.Fprintln(stderr, "gridwatchd rules test: no registry (-registry or the config's): every device is unknown to the rules")
	}
	ecfg := engine.Config{Registry: func() *registry.Registry { return reg }}

	failed := 0
	for _, c := range file.Tests {
		if err := file.Run(c, engine.Cases(ecfg)); err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL %s\n%v\n", c.Name, err)
			continue
		}
		fmt.Fprintf(stdout, "ok   %s\n", c.Name)
	}
	fmt.Fprintf(stdout, "%d test cases, %d failed\n", len(file.Tests), failed)

	if *eventsPath != "" {
		ecfg.Rules = file.Rules
		rep, err := engine.Replay(ecfg, readEvents(*eventsPath), time.Time{})
		if err != nil {
			return err
		}
		printReport(stdout, rep, cfg.Escalation)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d rule test cases failed", failed, len(file.Tests))
	}
	return nil
}

// readEvents yields the events of a .jsonl file in order.
func readEvents(path string) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		stop := errors.New("stop")
		err := journal.ReadFile(path, func(ev event.Event) error {
			if !yield(ev, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(event.Event{}, err)
		}
	}
}

// printReport says, in time order, what the replay would have done: each
// alarm opened (with when its escalation steps fall due unless someone
// acknowledges), joined and cleared, and the events the gateway derived.
func printReport(w io.Writer, rep engine.Report, policies escalate.Policies) {
	open := make(map[[2]string]bool)
	for _, d := range rep.Decisions {
		t := d.Trigger
		key := [2]string{t.Rule, t.Device}
		at := d.At.Format("2006-01-02 15:04:05.000")
		switch {
		case t.Clear && open[key]:
			delete(open, key)
			fmt.Fprintf(w, "%s  clear   %-7s %-16s %s\n", at, t.Severity, t.Rule, t.Device)
		case t.Clear:
			// nothing open to clear
		case open[key]:
			fmt.Fprintf(w, "%s  join    %-7s %-16s %s  %s\n", at, t.Severity, t.Rule, t.Device, t.Title)
		default:
			open[key] = true
			fmt.Fprintf(w, "%s  open    %-7s %-16s %s  %s\n", at, t.Severity, t.Rule, t.Device, t.Title)
			for i, st := range policies[t.Severity].Steps {
				fmt.Fprintf(w, "%s    step %d at %s -> %v\n", "                       ", i,
					d.At.Add(st.After).Format("15:04:05"), append(roleNames(st.Roles), st.Staff...))
			}
		}
	}
	fmt.Fprintf(w, "%d events replayed, %d derived by the gateway, %d decisions, %d alarms still open\n",
		rep.Events, len(rep.Derived), len(rep.Decisions), len(open))
}

func roleNames(roles []registry.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}
