package wire

import (
	"strconv"
	"unicode/utf8"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// decodeTelemetryFast decodes the telemetry payloads devices send in one
// pass over the bytes, without encoding/json's reflection, map of raw
// values and second decode per field (about a quarter of the gateway's
// CPU under 5,000 telemetry messages a second). It takes only the plain
// shape: one object of distinct field names, values that are numbers,
// true, false or strings without escapes, an integer ts in range. On
// anything else (escapes, null, nesting, duplicates, too many fields,
// bad syntax) it reports false and decodeTelemetryJSON decides, so
// accepted payloads, values and rejects are exactly those of
// encoding/json (FuzzTelemetryFast checks).
func decodeTelemetryFast(dev string, payload []byte, nowMS int64) (event.Telemetry, bool) {
	p := flatParser{b: payload}
	p.space()
	if !p.byte('{') {
		return event.Telemetry{}, false
	}
	ts, hasTS := int64(0), false
	fields := make(map[string]any, 8)
	p.space()
	if !p.byte('}') {
		for {
			p.space()
			key, ok := p.plainString()
			if !ok {
				return event.Telemetry{}, false
			}
			p.space()
			if !p.byte(':') {
				return event.Telemetry{}, false
			}
			p.space()
			if string(key) == "ts" {
				if hasTS {
					return event.Telemetry{}, false
				}
				num, ok := p.number()
				if !ok {
					return event.Telemetry{}, false
				}
				v, err := strconv.ParseInt(string(num), 10, 64)
				if err != nil || v < 0 || v > maxTS {
					return event.Telemetry{}, false
				}
				ts, hasTS = v, true
			} else {
				if !validFieldName(string(key)) || len(fields) == maxFields {
					return event.Telemetry{}, false
				}
				if _, dup := fields[string(key)]; dup {
					return event.Telemetry{}, false
				}
				v, ok := p.value()
				if !ok {
					return event.Telemetry{}, false
				}
				fields[string(key)] = v
			}
			p.space()
			if p.byte('}') {
				break
			}
			if !p.byte(',') {
				return event.Telemetry{}, false
			}
		}
	}
	p.space()
	if p.i != len(p.b) {
		return event.Telemetry{}, false
	}
	if !hasTS {
		ts = nowMS
	}
	return event.Telemetry{Device: dev, TS: ts, Fields: fields, Received: nowMS}, true
}

// flatParser reads JSON from b at i; every method reports false (or does
// nothing) where the input is not what it takes.
type flatParser struct {
	b []byte
	i int
}

func (p *flatParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *flatParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// plainString reads a string without escapes or control characters, in
// valid UTF-8, and returns its contents (aliasing b).
func (p *flatParser) plainString() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start, ascii := p.i, true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return nil, false
}

// number reads a JSON number and returns its text (aliasing b).
func (p *flatParser) number() ([]byte, bool) {
	start := p.i
	p.byte('-')
	switch {
	case p.byte('0'):
	case p.digits() == 0:
		return nil, false
	}
	if p.byte('.') && p.digits() == 0 {
		return nil, false
	}
	if p.byte('e') || p.byte('E') {
		if !p.byte('+') {
			p.byte('-')
		}
		if p.digits() == 0 {
			return nil, false
		}
	}
	return p.b[start:p.i], true
}

func (p *flatParser) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// value reads a field's value: a number (float64, as encoding/json
// decodes one into any), true, false or a plain string.
func (p *flatParser) value() (any, bool) {
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		s, ok := p.plainString()
		if !ok {
			return nil, false
		}
		return string(s), true
	case c == 't':
		return true, p.word("true")
	case c == 'f':
		return false, p.word("false")
	case c == '-' || c >= '0' && c <= '9':
		num, ok := p.number()
		if !ok {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return nil, false
		}
		return f, true
	}
	return nil, false
}

func (p *flatParser) word(w string) bool {
	if len(p.b)-p.i >= len(w) && string(p.b[p.i:p.i+len(w)]) == w {
		p.i += len(w)
		return true
	}
	return false
}
