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
	login, credentials               string
	verbose                          bool
}

func newFlags(name, usageLine string, stderr io.Writer) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &common{}
	fs.StringVar(&c.broker, "broker", "tcp://127.0.0.1:1883", "MQTT broker URL")
	fs.StringVar(&c.root, "root", wire.DefaultRoot, "topic root")
	fs.StringVar(&c.username, "username", "", "MQTT user name")
	fs.StringVar(&c.password, "password", "", "MQTT password (with -login self: of every id not in -credentials)")
	fs.StringVar(&c.login, "login", "shared", "MQTT logins: shared (every client logs in as -username) or self (each device and phone logs in as its own id)")
	fs.StringVar(&c.credentials, "credentials", "", "with -login self: FILE of `id password` lines, one per device or staff member")
	fs.BoolVar(&c.verbose, "v", false, "log debug detail")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gridsim %s\n\nflags:\n", usageLine)
		fs.PrintDefaults()
	}
	return fs, c
}

// dial is how clients reach and log into the broker, from -broker,
// -username, -password, -login and -credentials.
func (c *common) dial() (mqttconn.Dial, error) {
	d := mqttconn.Dial{Broker: c.broker, Username: c.username, Password: c.password}
	switch c.login {
	case "shared":
		if c.credentials != "" {
			return d, errors.New("-credentials needs -login self")
		}
		return d, nil
	case "self":
		if c.username != "" {
			return d, errors.New("-login self logs each client in as its own id; leave out -username")
		}
		d.PerID = true
		if c.credentials != "" {
			pw, err := mqttconn.ReadCredentials(c.credentials)
			if err != nil {
				return d, err
			}
			d.Passwords = pw
		}
		return d, nil
	}
	return d, fmt.Errorf("-login %q: want shared or self", c.login)
}

// sharedDial is dial for commands whose clients publish for many devices
// at once (bench): they cannot log in as each device.
func (c *common) sharedDial(cmd string) (mqttconn.Dial, error) {
	if c.login == "self" {
		return mqttconn.Dial{}, fmt.Errorf("-login self: %s publishes for many devices on shared connections, which per-id ACLs refuse; "+
			"run it against a broker that lets it in (the embedded one with anonymous logins on, on loopback)", cmd)
	}
	return c.dial()
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
