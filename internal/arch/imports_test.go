package arch

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gridwatch/gridwatch"

// pkg is the part of `go list -json` this test reads. Imports excludes test
// files: tests may reach further than code. TestImports and XTestImports are
// the test files' own, held to the few arrows that bind tests too
// (forbiddenInTests).
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Standard     bool
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-e", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// composedOnlyByApp are the concrete parts that only the composition root
// (gateway/app) wires together.
var composedOnlyByApp = []string{
	"gateway/broker", "gateway/mqttlink", "gateway/ingest", "gateway/journal", "gateway/httpapi",
	"gateway/devices", "gateway/telemetry", "gateway/deliver", "rules/engine", "rules/escalate", "rules/runner",
	"gateway/thresholds", "gateway/clips",
}

// TestArrowsPointOneWay reads the import graph and fails on an arrow that
// points the wrong way.
func TestArrowsPointOneWay(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("only %d packages listed; is the module path right?", len(pkgs))
	}
	for _, p := range pkgs {
		from := rel(p.ImportPath)
		for _, imp := range p.Imports {
			if !under(imp, module) {
				if from == "gateway/event" && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					t.Errorf("gateway/event imports %s: the leaf of nouns imports only the standard library", imp)
				}
				continue
			}
			to := rel(imp)
			if why := forbidden(from, to); why != "" {
				t.Errorf("%s imports %s: %s", from, to, why)
			}
		}
		for _, imp := range append(p.TestImports, p.XTestImports...) {
			if !under(imp, module) {
				continue
			}
			if why := forbiddenInTests(from, rel(imp)); why != "" {
				t.Errorf("a test of %s imports %s: %s", from, rel(imp), why)
			}
		}
	}
}

// forbiddenInTests says why a test file of from may not import to. Tests
// may reach further than code, except that the rules tree is tested on its
// own: its tests, too, stay out of the drivers and the gateway's machinery,
// so a rule's behaviour never depends on a transport.
func forbiddenInTests(from, to string) string {
	switch {
	case under(from, "rules") && under(to, "drivers"):
		return "rules never import drivers, not even in tests"
	case from == "rules/runner" && to == "gateway/journal":
		return "" // the runner is the rules' side of the journal: its tests and benchmarks run it on the real one
	case under(from, "rules") && under(to, "gateway") && to != "gateway/event" && to != "gateway/registry" && to != "gateway/permit":
		return "rules tests use only the nouns of gateway/event and gateway/registry, and the permission table"
	}
	return ""
}

// allowed are the deliberate exceptions to composedOnlyByApp: a package
// that needs another's noun, not its machinery.
var allowed = map[[2]string]string{
	{"gateway/config", "rules/escalate"}:   "the escalation policy is part of the config file",
	{"gateway/httpapi", "gateway/devices"}: "the API serves devices.Status as it is",
	{"rules/runner", "rules/engine"}:       "the runner is the engine's one owner on the alarm path",
}

func forbidden(from, to string) string {
	if _, ok := allowed[[2]string{from, to}]; ok {
		return ""
	}
	switch {
	case from == "gateway/event":
		return "gateway/event is the leaf; it imports nothing of ours"
	case under(from, "internal/yamlstrict") && to != "internal/problem":
		return "internal/yamlstrict is used by config, registry, rules and simulator alike: it imports only internal/problem"
	case under(to, "gateway/app") && !under(from, "gateway/cmd") && !under(from, "gateway/app"):
		return "gateway/app is the composition root: only the commands in gateway/cmd run it"
	case to == "internal/testlog" || to == "internal/testsite" || to == "gateway/edge/edgetest":
		return to + " is for tests only"
	case under(from, "rules/rulefile") && (to == "rules/engine" || under(to, "rules/escalate") || under(to, "rules/alarm") || under(to, "rules/window")):
		return "the rule language knows nothing of how rules run: the engine imports rulefile, never the other way (its case runner is handed an engine.Cases)"
	case under(from, "rules/silence") && (to == "rules/engine" || under(to, "rules/rulefile")):
		return "silences sit below the rule language and the engine: both import rules/silence"
	case from == "rules/engine" && to == "internal/yamlstrict":
		return "the engine is the runtime; reading rule files is rules/rulefile's"
	case under(from, "drivers") && under(to, "rules"):
		return "drivers never import rules"
	case under(from, "rules") && under(to, "drivers"):
		return "rules never import drivers"
	case from == "gateway/permit" && to != "gateway/event" && to != "gateway/registry":
		return "the permission table uses only the registry's nouns"
	case under(from, "rules") && under(to, "gateway") && to != "gateway/event" && to != "gateway/registry" && to != "gateway/permit":
		return "rules use only the nouns of gateway/event and gateway/registry, and the permission table"
	case from == "gateway/access" && to != "gateway/registry" && to != "gateway/permit" && to != "drivers/osdp" && to != "gateway/event":
		return "card decisions use only the registry's access data, the permission table and the reader driver's terms"
	case from == "gateway/thresholds" && to != "gateway/event" && to != "gateway/registry" && to != "gateway/ratelog" && to != "internal/atomicfile":
		return "telemetry thresholds judge samples against the registry and journal through a consumer interface: they import only the nouns of gateway/event, gateway/registry, gateway/ratelog and internal/atomicfile"
	case from == "gateway/edge" && to != "gateway/event":
		return "gateway/edge is the drivers' one door: it imports only the nouns of gateway/event"
	case under(from, "drivers") && under(to, "gateway") && to != "gateway/event" && to != "gateway/edge":
		return "drivers speak only the nouns of gateway/event, and report through gateway/edge"
	case under(from, "firmware-sim") && (under(to, "rules") || under(to, "gateway") && to != "gateway/event" && to != "gateway/registry" && to != "gateway/countywire"):
		return "the simulator is a device, not a gateway: it uses wire codecs (gateway/countywire is the county tier's) and nouns only"
	case !under(from, "gateway/app") && !under(from, "gateway/cmd"):
		for _, c := range composedOnlyByApp {
			if under(to, c) {
				return "only the composition root gateway/app wires " + c
			}
		}
	}
	return ""
}

// TestForbiddenCatchesWrongArrows shows the rules bite.
func TestForbiddenCatchesWrongArrows(t *testing.T) {
	bad := [][2]string{
		{"drivers/mqtt/wire", "rules/engine"},
		{"rules/engine", "drivers/mqtt/wire"},
		{"rules/escalate", "gateway/journal"},
		{"gateway/event", "gateway/registry"},
		{"gateway/ingest", "gateway/broker"},
		{"firmware-sim/device", "gateway/app"},
		{"firmware-sim/county", "gateway/uplink"},
		{"internal/yamlstrict", "gateway/event"},
		{"gateway/permit", "gateway/broadcast"},
		{"gateway/broker", "internal/testlog"},
		{"gateway/registry", "internal/testsite"},
		{"drivers/osdp", "gateway/edge/edgetest"},
		{"rules/rulefile", "rules/engine"},
		{"rules/silence", "rules/rulefile"},
		{"rules/engine", "internal/yamlstrict"},
		{"drivers/osdp", "gateway/ingest"},
		{"drivers/rtpstream", "gateway/app"},
		{"drivers/modbus", "gateway/registry"},
		{"gateway/edge", "gateway/registry"},
		{"gateway/edge", "drivers/serialline"},
		{"gateway/access", "gateway/httpapi"},
		{"drivers/osdp", "gateway/access"},
		{"rules/runner", "gateway/app"},
		{"rules/runner", "drivers/osdp"},
		{"rules/runner", "gateway/journal"},
		{"rules/runner", "gateway/devices"},
		{"rules/escalate", "rules/runner"},
		{"gateway/ingest", "gateway/app"},
		{"internal/testsvc", "gateway/app"},
		{"gateway/thresholds", "gateway/journal"},
		{"gateway/thresholds", "rules/engine"},
		{"gateway/ingest", "gateway/thresholds"},
	}
	for _, b := range bad {
		if forbidden(b[0], b[1]) == "" {
			t.Errorf("%s → %s should be forbidden", b[0], b[1])
		}
	}
	for _, ok := range [][2]string{{"gateway/app", "gateway/broker"}, {"rules/escalate", "gateway/registry"}, {"rules/escalate", "gateway/permit"}, {"gateway/ingest", "drivers/mqtt/wire"},
		{"rules/rulefile", "internal/yamlstrict"}, {"firmware-sim/scenario", "internal/yamlstrict"},
		{"rules/engine", "rules/rulefile"}, {"rules/engine", "rules/silence"}, {"rules/rulefile", "rules/silence"}, {"rules/silence", "rules/alarm"},
		{"drivers/osdp", "gateway/edge"}, {"drivers/serialline", "gateway/edge"}, {"gateway/ingest", "gateway/edge"}, {"gateway/edge", "gateway/event"},
		{"gateway/access", "drivers/osdp"}, {"gateway/access", "gateway/permit"}, {"gateway/app", "gateway/access"},
		{"rules/runner", "rules/engine"}, {"gateway/app", "rules/runner"}, {"gateway/cmd/gridwatchd", "gateway/app"},
		{"gateway/thresholds", "gateway/registry"}, {"gateway/thresholds", "gateway/ratelog"}, {"gateway/thresholds", "internal/atomicfile"}, {"gateway/app", "gateway/thresholds"}} {
		if why := forbidden(ok[0], ok[1]); why != "" {
			t.Errorf("%s → %s should be allowed: %s", ok[0], ok[1], why)
		}
	}
	badInTests := [][2]string{
		{"rules/engine", "drivers/osdp"},
		{"rules/escalate", "gateway/journal"},
		{"rules/window", "gateway/config"},
		{"rules/runner", "gateway/app"},
		{"rules/runner", "drivers/modbus"},
		{"rules/engine", "gateway/journal"},
	}
	for _, b := range badInTests {
		if forbiddenInTests(b[0], b[1]) == "" {
			t.Errorf("a test of %s importing %s should be forbidden", b[0], b[1])
		}
	}
	for _, ok := range [][2]string{{"rules/engine", "gateway/registry"}, {"rules/escalate", "internal/testsvc"}, {"gateway/app", "drivers/osdp"},
		{"rules/runner", "gateway/journal"}} {
		if why := forbiddenInTests(ok[0], ok[1]); why != "" {
			t.Errorf("a test of %s importing %s should be allowed: %s", ok[0], ok[1], why)
		}
	}
}
