// Package simscript is the script language the serial device simulators
// share (gridsim osdp-pd, gridsim modbus-slave): one step a line, a '#' at
// the start of a word starts a comment (see Fields for how to write a '#'),
// `wait DURATION` pauses, and every other line is a verb
// on one device of the bus, which each simulator defines. A script is
// checked whole at parse time (every bad line reported with its number),
// checked against the bus before it plays, and played in order.
package simscript

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
)

// Step is one line of a script: a wait (Do is nil), or an action on the
// device at Addr.
type Step[D any] struct {
	Line int
	Wait time.Duration
	Addr byte
	Do   func(D) error
	text string
}

// String is the step as written (comments and extra spaces dropped).
func (s Step[D]) String() string { return s.text }

// Parse reads a script. action parses a line that is not a wait (f[0] is
// its verb) into a step with Addr and Do set. Every bad line is reported,
// as "line N: …".
func Parse[D any](r io.Reader, action func(f []string) (Step[D], error)) ([]Step[D], error) {
	var steps []Step[D]
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var s Step[D]
		var err error
		if f[0] == "wait" {
			s, err = wait[D](f[1:])
		} else {
			s, err = action(f)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		s.Line, s.text = n, strings.Join(f, " ")
		steps = append(steps, s)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return steps, errors.Join(errs...)
}

// Fields splits a script line into words at white space, up to its
// comment. A '#' that starts a word starts the comment, as in a shell; a
// '#' inside a word is part of it, so a keypad entry ends in one as typed
// (`pin 1 1234#`). A backslash before '#' or another backslash writes it
// as is anywhere (`pin 1 \#` is the one key '#'); any other backslash is
// itself.
func Fields(line string) []string {
	var words []string
	var w strings.Builder
	in := false // inside a word
	r := []rune(line)
	for i := 0; i < len(r); i++ {
		switch c := r[i]; {
		case unicode.IsSpace(c):
			if in {
				words, in = append(words, w.String()), false
				w.Reset()
			}
		case c == '#' && !in:
			return words
		case c == '\\' && i+1 < len(r) && (r[i+1] == '#' || r[i+1] == '\\'):
			i++
			w.WriteRune(r[i])
			in = true
		default:
			w.WriteRune(c)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

func wait[D any](args []string) (Step[D], error) {
	if len(args) != 1 {
		return Step[D]{}, errors.New("wait takes one duration, like 2s")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d < 0 {
		return Step[D]{}, fmt.Errorf("wait %q: not a duration like 2s", args[0])
	}
	return Step[D]{Wait: d}, nil
}

// OneOf reads a step's single argument, which is either yes or no, and
// reports whether it is yes; anything else is "usage: USAGE".
func OneOf(args []string, usage, yes, no string) (bool, error) {
	if len(args) != 1 || (args[0] != yes && args[0] != no) {
		return false, fmt.Errorf("usage: %s", usage)
	}
	return args[0] == yes, nil
}

// Bus is what a script plays on: the simulator's devices by address.
type Bus[D any] struct {
	// Name prefixes errors of Play ("modbus script").
	Name string
	// Missing says a device is not on the bus, with %d for its address
	// ("no unit %d on this bus").
	Missing string
	// Find returns the device at an address.
	Find func(addr byte) (D, bool)
}

// Check reports every step for a device not on the bus.
func (b Bus[D]) Check(steps []Step[D]) error {
	var errs []error
	for _, s := range steps {
		if _, ok := b.Find(s.Addr); s.Do != nil && !ok {
			errs = append(errs, fmt.Errorf("line %d: "+b.Missing, s.Line, s.Addr))
		}
	}
	return errors.Join(errs...)
}

// Play runs steps in order, writing each to w as it is done, until the
// end or ctx is done (ctx's error).
func (b Bus[D]) Play(ctx context.Context, steps []Step[D], w io.Writer) error {
	for _, s := range steps {
		if s.Do == nil {
			t := time.NewTimer(s.Wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		d, ok := b.Find(s.Addr)
		if !ok {
			return fmt.Errorf("%s line %d: "+b.Missing, b.Name, s.Line, s.Addr)
		}
		if err := s.Do(d); err != nil {
			return fmt.Errorf("%s line %d: %w", b.Name, s.Line, err)
		}
		fmt.Fprintln(w, s.text)
	}
	return nil
}
