package simscript

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// light is a toy device: "on ADDR" switches it on.
type light struct{ on bool }

func action(f []string) (Step[*light], error) {
	if f[0] != "on" || len(f) != 2 {
		return Step[*light]{}, errors.New("usage: on ADDR")
	}
	a, err := strconv.Atoi(f[1])
	if err != nil {
		return Step[*light]{}, err
	}
	return Step[*light]{Addr: byte(a), Do: func(l *light) error { l.on = true; return nil }}, nil
}

func TestParseCheckPlay(t *testing.T) {
	steps, err := Parse(strings.NewReader("# rehearsal\nwait 1ms\non 1   # first\n\non 2\n"), action)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[0].Wait != time.Millisecond || steps[1].Line != 3 || steps[1].String() != "on 1" {
		t.Fatalf("steps %+v", steps)
	}
	_, err = Parse(strings.NewReader("wait\nwait -1s\noff 1\non 1\n"), action)
	for _, want := range []string{"line 1: wait takes one duration", `line 2: wait "-1s"`, "line 3: usage: on ADDR"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parse errors %v: want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "line 4") {
		t.Errorf("a good line reported: %v", err)
	}

	lights := map[byte]*light{1: {}}
	bus := Bus[*light]{Name: "toy script", Missing: "no light %d", Find: func(a byte) (*light, bool) { l, ok := lights[a]; return l, ok }}
	if err := bus.Check(steps); err == nil || err.Error() != "line 5: no light 2" {
		t.Fatalf("Check: %v", err)
	}
	var log bytes.Buffer
	if err := bus.Play(context.Background(), steps, &log); err == nil || err.Error() != "toy script line 5: no light 2" {
		t.Fatalf("Play: %v", err)
	}
	if !lights[1].on || log.String() != "on 1\n" {
		t.Errorf("light 1 on %v, log %q", lights[1].on, log.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := bus.Play(ctx, []Step[*light]{{Wait: time.Hour}}, &log); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait: %v", err)
	}
}

// TestFields: '#' starts a comment only at the start of a word; inside a
// word, or escaped with a backslash, it is typed as is.
func TestFields(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"# a comment", nil},
		{"pin 1 1234#", []string{"pin", "1", "1234#"}},
		{"pin 1 12#34 # the door code", []string{"pin", "1", "12#34"}},
		{`pin 1 \#`, []string{"pin", "1", "#"}},
		{`pin 1 \#\#9`, []string{"pin", "1", "##9"}},
		{`pin 1 a\\#b`, []string{"pin", "1", `a\#b`}},
		{`say 1 C:\path`, []string{"say", "1", `C:\path`}},
		{"on 1\t#tab then comment", []string{"on", "1"}},
		{"on　1", []string{"on", "1"}}, // an ideographic space separates too
		{"", nil},
	} {
		if got := Fields(tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("Fields(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}
