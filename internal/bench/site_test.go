package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// boxesPerCell is how many light boxes share a block grid (and its grid
// member's phone).
const boxesPerCell = 20

// writeRegistry writes a site of boxes light boxes in cells of
// boxesPerCell, each cell with a grid member and a grid leader, one
// security room, police and a command centre over them all, and returns
// its path.
func writeRegistry(t testing.TB, dir string, boxes int) string {
	t.Helper()
	var b strings.Builder
	cells := (boxes + boxesPerCell - 1) / boxesPerCell
	b.WriteString("# written by internal/bench\ngrids:\n")
	b.WriteString("  - {id: baiyu, name: 白羽街道, level: 2}\n  - {id: lianhua, name: 莲花社区, level: 3, parent: baiyu}\n")
	for c := range cells {
		fmt.Fprintf(&b, "  - {id: g%03d, name: 网格%03d, level: 4, parent: lianhua}\n", c, c)
	}
	b.WriteString("staff:\n")
	for c := range cells {
		fmt.Fprintf(&b, "  - {id: m%03d, name: 网格员%03d, role: grid_member, grids: [g%03d]}\n", c, c, c)
		fmt.Fprintf(&b, "  - {id: l%03d, name: 网格长%03d, role: grid_leader, grids: [g%03d]}\n", c, c, c)
	}
	b.WriteString("  - {id: police1, name: 社区民警, role: police, grids: [lianhua]}\n")
	b.WriteString("  - {id: room1, name: 监控室, role: security_room, grids: [lianhua]}\n")
	b.WriteString("  - {id: cmd1, name: 指挥中心, role: command_center, grids: [baiyu]}\n")
	b.WriteString("devices:\n")
	for i := range boxes {
		fmt.Fprintf(&b, "  - {id: lb-%05d, kind: lightbox, grid: g%03d, name: 灯箱%05d}\n", i, i/boxesPerCell, i)
	}
	path := filepath.Join(dir, "registry.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeConfig writes gridwatchd's config for one target: data in dir,
// HTTP on httpAddr without logins (loopback), the embedded broker on
// mqttListen or, when external is set, that broker. The per-device budget
// is the production one unless the load sends a box more than half of it.
func writeConfig(t testing.TB, dir, registry, httpAddr, mqttListen, external string, perDevice float64) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "site: bench\ndata_dir: %q\nregistry: %q\nlog: {level: warn}\n", filepath.Join(dir, "data"), registry)
	fmt.Fprintf(&b, "http: {listen: %q, auth: false}\n", httpAddr)
	if external != "" {
		fmt.Fprintf(&b, "mqtt: {url: %q}\n", external)
	} else {
		fmt.Fprintf(&b, "mqtt:\n  embedded: {listen: %q, allow_anonymous: true}\n", mqttListen)
	}
	if perDevice > 10 {
		rate := int(math.Ceil(perDevice * 4))
		fmt.Fprintf(&b, "ingest: {device_rate: %d, device_burst: %d}\n", rate, 2*rate)
	}
	path := filepath.Join(dir, "gridwatch.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
