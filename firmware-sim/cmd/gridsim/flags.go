package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// common holds the flags every command shares.
type common struct {
	broker, root, username, password string
	verbose                          bool
}

func newFlags(name, usageLine string, stderr io.Writer) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &common{}
	fs.StringVar(&c.broker, "broker", "tcp://127.0.0.1:1883", "MQTT broker URL")
	fs.StringVar(&c.root, "root", wire.DefaultRoot, "topic root")
	fs.StringVar(&c.username, "username", "", "MQTT user name")
	fs.StringVar(&c.password, "password", "", "MQTT password")
	fs.BoolVar(&c.verbose, "v", false, "log debug detail")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gridsim %s\n\nflags:\n", usageLine)
		fs.PrintDefaults()
	}
	return fs, c
}

func (c *common) dial() mqttconn.Dial {
	return mqttconn.Dial{Broker: c.broker, Username: c.username, Password: c.password}
}

func (c *common) topics() wire.Topics { return wire.Topics{Root: strings.TrimSuffix(c.root, "/")} }

func (c *common) logger(w io.Writer) *slog.Logger { return newLogger(w, c.verbose) }

// newLogger logs text to w, at debug level when verbose.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// parse parses flags that may come before or after positional arguments
// (`gridsim press lb-0001 -type tamper.open`) and returns the positionals.
// It returns flag.ErrHelp for -h.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// usageErr turns a parse error into an exit code (help is not an error).
func usageErr(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// loadRegistry loads the -registry file, which the command requires.
func loadRegistry(path string) (*registry.Registry, error) {
	if path == "" {
		return nil, errors.New("-registry FILE is required")
	}
	return registry.Load(path)
}
