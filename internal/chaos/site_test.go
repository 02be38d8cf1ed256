package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// cells is how many grid cells a test site has; each has one grid member
// and one grid leader, and the security room serves them all.
const cells = 10

// room is the security room's staff id.
const room = "room1"

// onlyStep0 is the red policy of most faults: page at once, never again,
// so every page a phone gets belongs to a step-0 set the judge expects.
const onlyStep0 = `escalation:
  red:
    steps:
      - {after: 0s, roles: [grid_member, security_room]}
`

// siteOpts shapes one test site.
type siteOpts struct {
	boxes      int    // light boxes in the registry: each is pressed at most once
	telemetry  int    // telemetry-only boxes (tl-NNN), for the InfluxDB fault
	external   string // MQTT URL of an external broker; "" runs the embedded one
	escalation string // the config's escalation block; "" is onlyStep0
	influx     *testsvc.Influx
	smsURL     string            // the fake SMS gateway; "" configures none
	phoneOf    map[string]string // staff id → phone number (SMS fallback)
	dataDir    string            // "" is DIR/data
}

// site is one gateway with its registry, config and data directory.
type site struct {
	t        *testing.T
	dir      string
	dataDir  string
	mqttURL  string
	httpAddr string
	gw       *testsvc.Gateway

	mu      sync.Mutex
	boxes   []string
	next    int             // the next box never pressed
	pressed map[string]bool // every box pressed on this data directory
}

func memberOf(cell int) string { return fmt.Sprintf("m%02d", cell) }
func leaderOf(cell int) string { return fmt.Sprintf("l%02d", cell) }
func cellID(cell int) string   { return fmt.Sprintf("g%02d", cell) }

// password is every MQTT user's password: the users exist so the broker's
// per-id ACLs and client-id rules are those of production.
func password(user string) string { return "pw-" + user + "-chaos" }

// cellOfBox returns the cell of lb-NNNNN (boxes are dealt round-robin).
func cellOfBox(box string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(box, "lb-"), "tl-"))
	if err != nil {
		return -1
	}
	return n % cells
}

// expected returns who step 0 of a red alarm on box must page, from the
// registry as this file writes it: the grid member of its cell and the
// security room.
func expected(box string) []string { return []string{memberOf(cellOfBox(box)), room} }

// staffIDs returns every staff id of a site.
func staffIDs() []string {
	ids := []string{room}
	for c := range cells {
		ids = append(ids, memberOf(c), leaderOf(c))
	}
	return ids
}

// newSite writes the registry and config of a site and prepares (does not
// start) its gateway.
func newSite(t *testing.T, o siteOpts) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir(), pressed: map[string]bool{}}
	s.dataDir = o.dataDir
	if s.dataDir == "" {
		s.dataDir = filepath.Join(s.dir, "data")
	}
	s.httpAddr = "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	for i := range o.boxes {
		s.boxes = append(s.boxes, fmt.Sprintf("lb-%05d", i))
	}
	var tel []string
	for i := range o.telemetry {
		tel = append(tel, fmt.Sprintf("tl-%03d", i))
	}

	var reg strings.Builder
	reg.WriteString("grids:\n  - {id: chaos, name: chaos, level: 3}\n")
	for c := range cells {
		fmt.Fprintf(&reg, "  - {id: %s, level: 4, parent: chaos}\n", cellID(c))
	}
	reg.WriteString("staff:\n")
	staff := func(id, role, grid string) {
		fmt.Fprintf(&reg, "  - {id: %s, role: %s, grids: [%s]", id, role, grid)
		if ph := o.phoneOf[id]; ph != "" {
			fmt.Fprintf(&reg, ", phone: %q", ph)
		}
		reg.WriteString("}\n")
	}
	staff(room, "security_room", "chaos")
	for c := range cells {
		staff(memberOf(c), "grid_member", cellID(c))
		staff(leaderOf(c), "grid_leader", cellID(c))
	}
	reg.WriteString("devices:\n")
	for _, b := range append(append([]string(nil), s.boxes...), tel...) {
		fmt.Fprintf(&reg, "  - {id: %s, kind: lightbox, grid: %s, heartbeat: 24h}\n", b, cellID(cellOfBox(b)))
	}
	regPath := filepath.Join(s.dir, "registry.yaml")
	if err := os.WriteFile(regPath, []byte(reg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	var cfg strings.Builder
	fmt.Fprintf(&cfg, "site: chaos\ndata_dir: %q\nregistry: %q\n", s.dataDir, regPath)
	fmt.Fprintf(&cfg, "http: {listen: %q, auth: false}\n", s.httpAddr)
	if o.external != "" {
		s.mqttURL = o.external
		fmt.Fprintf(&cfg, "mqtt:\n  url: %q\n", o.external)
	} else {
		addr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
		s.mqttURL = "tcp://" + addr
		fmt.Fprintf(&cfg, "mqtt:\n  embedded:\n    listen: %q\n    allow_anonymous: false\n    users:\n", addr)
		for _, u := range append(append(append([]string(nil), s.boxes...), tel...), staffIDs()...) {
			fmt.Fprintf(&cfg, "      %s: %q\n", u, password(u))
		}
	}
	if o.influx != nil {
		fmt.Fprintf(&cfg, "influx: {url: %q, token: %q, bucket: %q}\n", o.influx.URL, o.influx.Token, o.influx.Bucket)
	}
	if o.smsURL != "" {
		fmt.Fprintf(&cfg, "sms:\n  url: %q\n  headers: {Content-Type: application/json}\n", o.smsURL)
		cfg.WriteString(`  body: '{"to": {{json .Phone}}, "staff": {{json .Staff}}, "alarm_id": {{json .Note.AlarmID}}, "step": {{json .Note.Step}}, "device": {{json .Note.Device}}}'` + "\n")
	}
	if o.escalation == "" {
		o.escalation = onlyStep0
	}
	cfg.WriteString(o.escalation)
	cfgPath := filepath.Join(s.dir, "gridwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.gw = testsvc.Gridwatchd(t, gridwatchd(t), cfgPath, s.httpAddr)
	return s
}

// take hands out a box never pressed on this site, or false when none is
// left.
func (s *site) take() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next >= len(s.boxes) {
		return "", false
	}
	b := s.boxes[s.next]
	s.next++
	s.pressed[b] = true
	return b, true
}

// wasPressed reports whether box was ever pressed on this site.
func (s *site) wasPressed(box string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pressed[box]
}
