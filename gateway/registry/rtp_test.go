package registry

import (
	"errors"
	"strings"
	"testing"
)

// TestRTPThresholds checks a camera's rtp thresholds decode, and that bad
// ones are reported at their own line, every one at once.
func TestRTPThresholds(t *testing.T) {
	r, err := Parse("r.yaml", []byte(base+`  - id: cam-2
    kind: camera
    grid: mid
    rtp: {listen: "0.0.0.0:5006", loss_pct: 0.5, jitter_ms: 20, min_fps: 12.5}
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	cam, _ := r.Device("cam-2")
	if want := (RTP{Listen: "0.0.0.0:5006", LossPct: 0.5, JitterMS: 20, MinFPS: 12.5}); cam.RTP == nil || *cam.RTP != want {
		t.Errorf("cam-2 rtp = %+v, want %+v", cam.RTP, want)
	}

	cases := []struct{ name, rtp, want string }{
		{"listen only keeps the defaults", `{listen: ":5004"}`, ""},
		{"loss_pct at 100", `{listen: ":5004", loss_pct: 100}`, ""},
		{"loss_pct over 100", `{listen: ":5004", loss_pct: 101}`,
			"9: device x: rtp.loss_pct 101 out of range: want above 0 and at most 100 (leave it out for the default)"},
		{"loss_pct zero", `{listen: ":5004", loss_pct: 0}`,
			"9: device x: rtp.loss_pct 0 out of range: want above 0 and at most 100 (leave it out for the default)"},
		{"jitter_ms negative", `{listen: ":5004", jitter_ms: -5}`,
			"9: device x: rtp.jitter_ms -5 out of range: want above 0 and at most 10000 (leave it out for the default)"},
		{"min_fps not a number", `{listen: ":5004", min_fps: fast}`, `9: device x: rtp.min_fps: want a number, got "fast"`},
		{"min_fps NaN", `{listen: ":5004", min_fps: .nan}`,
			"9: device x: rtp.min_fps NaN out of range: want above 0 and at most 1000 (leave it out for the default)"},
		{"unknown threshold", `{listen: ":5004", fps: 10}`, `9: device x: rtp: unknown field "fps" (want listen, loss_pct, jitter_ms, min_fps)`},
		{"listen missing", `{min_fps: 10}`, "9: device x: rtp.listen missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte(base+"  - {id: x, kind: camera, grid: mid, rtp: "+c.rtp+"}\n"))
			if c.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || err.Error() != "r.yaml:"+c.want {
				t.Errorf("got:\n%v\nwant:\nr.yaml:%s", err, c.want)
			}
		})
	}

	// Several bad thresholds on their own lines: each reported at its line.
	_, err = Parse("r.yaml", []byte(base+`  - id: x
    kind: camera
    grid: mid
    rtp:
      listen: ":5004"
      loss_pct: 200
      min_fps: -1
`))
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.Problems) != 2 {
		t.Fatalf("Parse: %v, want two problems", err)
	}
	for i, want := range []string{"r.yaml:14: device x: rtp.loss_pct 200", "r.yaml:15: device x: rtp.min_fps -1"} {
		if got := errs.Problems[i].String(); !strings.HasPrefix(got, want) {
			t.Errorf("problem %d = %q, want it to start %q", i, got, want)
		}
	}
}
