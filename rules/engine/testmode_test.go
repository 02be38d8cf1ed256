package engine

import (
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// TestTestModeHoldsBackSirens: a raise in an installer's test mode keeps
// its commands but the siren (the box strobes, its cameras clip, the
// street stays quiet), unless the test mode asks for sirens; a real raise
// sends them all.
func TestTestModeHoldsBackSirens(t *testing.T) {
	f, err := rulefile.ParseFile("testmode.yaml", []byte(`
rules:
  - id: panic
    types: [button.pressed]
    severity: red
    title: "{{device}} 一键报警"
    commands:
      - {to: self, cmd: strobe, args: {seconds: 120}}
      - {to: self, cmd: siren, args: {seconds: 60}}
      - {to: linked_cameras, cmd: clip, args: {before_s: 10, after_s: 30}}
silences:
  - {id: quiet-test, reason: 安装调试, devices: [lb-0001], test: true}
  - {id: loud-test, reason: 警笛测试, devices: [lb-0002], test: true, sirens: true}
fixture:
  grids: [{id: g1, name: 一, level: 4}]
  devices:
    - {id: lb-0001, kind: lightbox, grid: g1}
    - {id: lb-0002, kind: lightbox, grid: g1}
    - {id: lb-0003, kind: lightbox, grid: g1}
    - {id: cam-0001, kind: camera, grid: g1}
tests:
  - name: sirens only when asked
    events:
      - {at: 0s, device: lb-0001, type: button.pressed}
      - {at: 1s, device: lb-0002, type: button.pressed}
      - {at: 2s, device: lb-0003, type: button.pressed}
    expect:
      - {rule: panic, device: lb-0001, muted: true, test: true, commands: [strobe lb-0001, clip cam-0001]}
      - {rule: panic, device: lb-0002, muted: true, test: true, commands: [strobe lb-0002, siren lb-0002, clip cam-0001]}
      - {rule: panic, device: lb-0003, commands: [strobe lb-0003, siren lb-0003, clip cam-0001]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RunAll(Cases(Config{})); err != nil {
		t.Fatal(err)
	}
	_, err = rulefile.ParseFile("bad.yaml", []byte(`
rules:
  - {id: panic, types: [button.pressed], severity: red, title: x}
silences:
  - {id: loud, reason: 检修, devices: [lb-0001], sirens: true}
`))
	if err == nil || !strings.Contains(err.Error(), "sirens: only with test: true") {
		t.Fatalf("sirens without test: %v", err)
	}
}
