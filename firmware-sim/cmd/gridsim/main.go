// Command gridsim is the gridwatch hardware simulator: it plays light
// boxes, cameras, readers and staff phones over the public MQTT contract,
// runs scripted rehearsals, and measures panic-to-phone latency under load.
// Run `gridsim help` for the subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the simulated thing failed: no PUBACK, an unmet expectation...
	exitUsage = 2 // bad command line or input file
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "simulate every MQTT device of a registry until interrupted", cmdRun},
		{"press", "publish one event for a device and wait for its PUBACK", cmdPress},
		{"phone", "be a staff member's phone: print notifications, optionally reply", cmdPhone},
		{"scenario", "play a scripted rehearsal; fail if an expectation is not met", cmdScenario},
		{"bench", "measure panic press → first phone latency under background load", cmdBench},
		{"floor", "the bench's floor: relay each panic press to one phone after an fsync, nothing else", cmdFloor},
		{"osdp-pd", "play OSDP card readers on a serial port or a new pty", cmdOSDPPD},
		{"modbus-slave", "play Modbus RTU light-box I/O modules on a serial port or a new pty", cmdModbusSlave},
		{"camera", "send cameras' RTP video (a real H.264 clip) with injected loss, jitter, reordering, outages", cmdCamera},
		{"county", "300 county uplinks on the county's MQTT cluster, and a subscriber measuring latency, loss, order", cmdCounty},
		{"commission", "walk test: guide an installer through a commissioning session, then report", cmdCommission},
	}
}

// Main runs gridsim with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run(ctx, []string{"-h"}, stdout, stdout)
				}
			}
			fmt.Fprintf(stderr, "gridsim: no command %q\n", args[1])
			return exitUsage
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "gridsim: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "gridsim — gridwatch hardware simulator (MQTT contract v1)")
	fmt.Fprintln(w, "\nusage: gridsim <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help          this list; `gridsim help <command>` for its flags")
}
