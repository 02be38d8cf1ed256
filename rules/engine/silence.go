package engine

import (
	"errors"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/silence"
)

// silence marks t if a silence covers it: the rule file's first, then
// the operators'. It returns the silence, or nil.
func (e *Engine) silence(t *event.Trigger, dev *registry.Device, ms int64) *silence.Matcher {
	if t.Muted != "" || (len(e.fileSilences) == 0 && e.operators == nil) {
		return nil
	}
	s := e.silenced(t.Rule, t.Device, dev, ms)
	switch {
	case s == nil:
	case s.Test:
		t.Test, t.Muted = true, "test: "+s.Reason
	default:
		t.Muted = "silenced: " + s.Reason
	}
	return s
}

// CmdSiren is the command a test mode holds back unless its silence
// allows sirens.
const CmdSiren = "siren"

// testCommands is what a test raise sends of cmds: all but the sirens,
// unless the test mode asks for them.
func testCommands(cmds []event.Command, s *silence.Matcher) []event.Command {
	if s != nil && s.Sirens {
		return cmds
	}
	return slices.DeleteFunc(cmds, func(c event.Command) bool { return c.Cmd == CmdSiren })
}

// silenced returns the first silence that mutes rule on device at ms.
func (e *Engine) silenced(rule, device string, dev *registry.Device, ms int64) *silence.Matcher {
	var ops []*silence.Matcher
	if e.operators != nil {
		ops = e.operators.Matchers()
	}
	if len(e.fileSilences) == 0 && len(ops) == 0 {
		return nil
	}
	inGrids := func(roots []string) bool { return dev != nil && e.registry != nil && e.inGrids(dev.Grid, roots) }
	for _, list := range [2][]*silence.Matcher{e.fileSilences, ops} {
		for _, s := range list {
			if s.Covers(rule, device, ms, e.zone, inGrids) {
				return s
			}
		}
	}
	return nil
}

// Silences returns the rule file's silences, then the operators' (ended
// ones included until their set drops them).
func (e *Engine) Silences() []silence.Silence {
	var ops []*silence.Matcher
	if e.operators != nil {
		ops = e.operators.Matchers()
	}
	out := make([]silence.Silence, 0, len(e.fileSilences)+len(ops))
	for _, list := range [2][]*silence.Matcher{e.fileSilences, ops} {
		for _, s := range list {
			out = append(out, s.Silence)
		}
	}
	return out
}

// adoptSilence takes a silence line of a snapshot written by an earlier
// version, which kept operators' silences there, to the operators' set.
// Without one (a replay) the line is skipped.
func (e *Engine) adoptSilence(s *silence.Silence) error {
	if s == nil {
		return errors.New("silence line without a silence")
	}
	if e.operators == nil {
		return nil
	}
	return e.operators.Adopt(*s)
}
