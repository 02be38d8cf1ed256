package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// base is a small valid registry that the cases below append to.
const base = `grids:
  - {id: top, level: 2}
  - {id: mid, level: 3, parent: top}
staff:
  - {id: s1, role: police, grids: [mid]}
devices:
  - {id: cam-1, kind: camera, grid: mid}
  - {id: lb-1, kind: lightbox, grid: mid}
`

// TestParseChecks runs one small input per check; want is the single
// problem expected (line counted in the whole text), or "" for valid input.
func TestParseChecks(t *testing.T) {
	long := strings.Repeat("a", 65)
	cases := []struct {
		name, yaml, want string
	}{
		{"base is valid", base, ""},
		{"id max length", base + "  - {id: " + long[:64] + ", kind: io, grid: mid}\n", ""},
		{"id too long", base + "  - {id: " + long + ", kind: io, grid: mid}\n",
			`9: device #3: id "` + long + `": want 1 to 64 characters from A-Z a-z 0-9 . _ -`},
		{"id with slash", base + "  - {id: a/b, kind: io, grid: mid}\n", `9: device #3: id "a/b": want 1 to 64 characters from A-Z a-z 0-9 . _ -`},
		{"id missing", base + "  - {kind: io, grid: mid}\n", "9: device #3: id missing"},
		{"duplicate device", base + "  - {id: lb-1, kind: io, grid: mid}\n", "9: device lb-1: duplicate id (first at line 8)"},
		{"same id, other kind", base + "  - {id: mid, kind: io, grid: mid}\n", ""},
		{"unknown field", base + "  - {id: x, kind: io, grid: mid, colour: red}\n", `9: device x: unknown field "colour"`},
		{"field twice", base + "  - {id: x, kind: io, grid: mid, grid: top}\n", `9: device x: grid: given twice`},
		{"merge key", "x: &d {kind: io}\n" + base + "  - {<<: *d, id: x, grid: mid}\n",
			`1: unknown field "x" (want grids, staff, groups, cards, devices, buses, modbus_profiles, telemetry_thresholds)` + "\n" + `10: device x: merge keys (<<) are not supported` +
				"\n" + "10: device x: kind missing (want lightbox, camera, reader, io)"},
		{"shared location", base + "  - {id: a, kind: io, grid: mid, location: &loc {lat: 31.2, lon: 121.5}}\n  - {id: b, kind: io, grid: mid, location: *loc}\n", ""},
		{"bad location through an alias", base + "  - {id: a, kind: io, grid: mid, location: &loc {lat: 95, lon: 1}}\n  - {id: b, kind: io, grid: mid, location: *loc}\n",
			"9: device a: location.lat 95 out of range -90..90\n10: device b: location.lat 95 out of range -90..90"},
		{"alias to a value", "grids:\n  - {id: &g top, level: 2}\n  - {id: mid, level: 3, parent: *g}\n", ""},
		{"level zero", "grids:\n  - {id: g, level: 0}\n", "2: grid g: level 0 out of range 1..5"},
		{"level six", "grids:\n  - {id: g, level: 6}\n", "2: grid g: level 6 out of range 1..5"},
		{"level missing", "grids:\n  - {id: g}\n", "2: grid g: level missing (want 1..5)"},
		{"level float", "grids:\n  - {id: g, level: 2.5}\n", `2: grid g: level: want a whole number, got "2.5"`},
		{"level string", "grids:\n  - {id: g, level: \"2\"}\n", `2: grid g: level: want a whole number, got "2"`},
		{"unknown parent", "grids:\n  - {id: g, level: 2, parent: nope}\n", `2: grid g: unknown parent grid "nope"`},
		{"parent same level", "grids:\n  - {id: a, level: 2}\n  - {id: b, level: 2, parent: a}\n", `3: grid b: parent "a" has level 2, want a level above 2`},
		{"level may skip", "grids:\n  - {id: a, level: 1}\n  - {id: b, level: 4, parent: a}\n", ""},
		{"staff channels", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g], phone: \"1\", channels: [sms, app]}\n", ""},
		{"staff channel unknown", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g], channels: [pager]}\n",
			`3: staff s: unknown channel "pager" (want app or sms)`},
		{"staff channel twice", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g], channels: [app, app]}\n",
			`3: staff s: channel "app" listed twice`},
		{"staff sms without phone", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g], channels: [sms]}\n",
			"3: staff s: channel sms needs a phone number"},
		{"staff channels empty", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g], channels: []}\n",
			"3: staff s: channels empty: leave it out for the default (app, sms)"},
		{"credentials", base + "  - {id: lb-2, kind: lightbox, grid: mid, password_hash: \"$argon2id$v=19$m=19456,t=2,p=1$d0aNz7RptawCU4gLRlFOFg$uDq3Vcq4IOAgMexuygyFSJp5V6wI/0Ny6W68DKnfAiE\"}\n", ""},
		{"device bad hash", base + "  - {id: lb-2, kind: lightbox, grid: mid, password_hash: hunter2}\n",
			"9: device lb-2: password_hash: not an argon2id or bcrypt hash (want $argon2id$v=19$m=…,t=…,p=…$salt$key or $2b$…)"},
		{"staff bad hash", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g], password_hash: \"$2b$31$x\"}\n",
			"3: staff s: password_hash: bad bcrypt hash: crypto/bcrypt: hashedSecret too short to be a bcrypted password"},
		{"one username, two credentials", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: x, role: police, grids: [g], password_hash: \"$argon2id$v=19$m=19456,t=2,p=1$d0aNz7RptawCU4gLRlFOFg$uDq3Vcq4IOAgMexuygyFSJp5V6wI/0Ny6W68DKnfAiE\"}\n" +
			"devices:\n  - {id: x, kind: io, grid: g, password_hash: \"$argon2id$v=19$m=19456,t=2,p=1$d0aNz7RptawCU4gLRlFOFg$uDq3Vcq4IOAgMexuygyFSJp5V6wI/0Ny6W68DKnfAiE\"}\n",
			"5: device x: password_hash: staff x (line 3) has one too: an MQTT username must name one of them"},
		{"staff role missing", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, grids: [g]}\n", "3: staff s: role missing"},
		{"staff grids missing", "staff:\n  - {id: s, role: police}\n", "2: staff s: grids missing: a staff member serves at least one grid"},
		{"staff grid twice", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g, g]}\n", `3: staff s: grid "g" listed twice`},
		{"duplicate staff", "grids: [{id: g, level: 1}]\nstaff:\n  - {id: s, role: police, grids: [g]}\n  - {id: s, role: police, grids: [g]}\n",
			"4: staff s: duplicate id (first at line 3)"},
		{"kind missing", base + "  - {id: x, grid: mid}\n", "9: device x: kind missing (want lightbox, camera, reader, io)"},
		{"grid missing", base + "  - {id: x, kind: io}\n", "9: device x: grid missing"},
		{"heartbeat 1s", base + "  - {id: x, kind: io, grid: mid, heartbeat: 1s}\n", ""},
		{"heartbeat negative", base + "  - {id: x, kind: io, grid: mid, heartbeat: -5s}\n", "9: device x: heartbeat -5s is below the minimum 1s"},
		{"camera is itself", base + "  - {id: x, kind: io, grid: mid, cameras: [x]}\n", "9: device x: lists itself as a camera"},
		{"camera twice", base + "  - {id: x, kind: io, grid: mid, cameras: [cam-1, cam-1]}\n", `9: device x: camera "cam-1" listed twice`},
		{"camera ok", base + "  - {id: x, kind: io, grid: mid, cameras: [cam-1]}\n", ""},
		{"lon out of range", base + "  - {id: x, kind: io, grid: mid, location: {lat: 0, lon: -180.5}}\n", "9: device x: location.lon -180.5 out of range -180..180"},
		{"lat not a number", base + "  - {id: x, kind: io, grid: mid, location: {lat: .nan, lon: 0}}\n", "9: device x: location.lat NaN out of range -90..90"},
		{"lon missing", base + "  - {id: x, kind: io, grid: mid, location: {lat: 1}}\n", "9: device x: location.lon missing"},
		{"osdp edges", base + "  - {id: x, kind: reader, grid: mid, osdp: {port: p, address: 0}}\n  - {id: y, kind: reader, grid: mid, osdp: {port: p, address: 126}}\n", ""},
		{"osdp address missing", base + "  - {id: x, kind: reader, grid: mid, osdp: {port: p}}\n", "9: device x: osdp.address missing (want 0..126)"},
		{"osdp port missing", base + "  - {id: x, kind: reader, grid: mid, osdp: {address: 1}}\n", "9: device x: osdp.port missing"},
		{"modbus edges", base + "  - {id: x, kind: io, grid: mid, modbus: {port: p, unit: 1}}\n  - {id: y, kind: lightbox, grid: mid, modbus: {port: p, unit: 247}}\n", ""},
		{"modbus unit 248", base + "  - {id: x, kind: io, grid: mid, modbus: {port: p, unit: 248}}\n", "9: device x: modbus.unit 248 out of range 1..247"},
		{"modbus on a camera", base + "  - {id: x, kind: camera, grid: mid, modbus: {port: p, unit: 2}}\n", "9: device x: modbus is not for a camera"},
		{"rtp on a reader", base + "  - {id: x, kind: reader, grid: mid, rtp: {listen: \":5004\"}}\n", "9: device x: rtp is not for a reader"},
		{"rtsp ok", base + "  - {id: x, kind: camera, grid: mid, rtsp: {url: \"rtsp://cam/1\"}}\n", ""},
		{"rtsp url missing", base + "  - {id: x, kind: camera, grid: mid, rtsp: {}}\n", "9: device x: rtsp.url missing"},
		{"attrs not strings", base + "  - {id: x, kind: io, grid: mid, attrs: {a: [1]}}\n", "9: device x: attrs.a: want a single value, got a list"},
		{"top level list", "- a\n", "1: want a mapping, got a list"},
		{"key not a name", "? [a]\n: 1\n", "1: keys must be plain names, got a list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse("r.yaml", []byte(c.yaml))
			if c.want == "" {
				if err != nil || r == nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse: %v, want *Errors", err)
			}
			if r != nil {
				t.Error("Parse returned a registry with an error")
			}
			want := "r.yaml:" + strings.ReplaceAll(c.want, "\n", "\nr.yaml:")
			if err.Error() != want {
				t.Errorf("got:\n%s\nwant:\n%s", err, want)
			}
		})
	}
}

// TestParseAliasBomb checks that anchors cannot make a small file
// expensive: one long list referenced by many devices.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("grids: [{id: g, level: 1}]\nx: &c [" + strings.Repeat("c, ", 999) + "c]\ndevices:\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "  - {id: d%d, kind: io, grid: g, cameras: *c}\n", i)
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse: %v, want *Errors", err)
	}
	last := errs.Problems[len(errs.Problems)-1]
	if !strings.Contains(last.Msg, "document too large") || len(errs.Problems) > 10 {
		t.Fatalf("Parse of an alias bomb gave %d problems, the last %q; want a few ending in 'document too large'", len(errs.Problems), last)
	}
}
