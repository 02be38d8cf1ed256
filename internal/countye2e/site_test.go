package countye2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// boxesPerSite light boxes each gateway has; each is pressed at most once.
const boxesPerSite = 12

// stepOneAfter is when a red alarm's second escalation step pages the
// grid leader, unless someone acknowledged it first.
const stepOneAfter = 10 * time.Second

// localStaff are the people each site's phones belong to: the grid member
// and the security room (step 0), the grid leader (step 1).
var localStaff = []string{"m1", "room1", "l1"}

// mqttPassword is every local MQTT user's password on the gateways'
// embedded brokers.
func mqttPassword(user string) string { return "pw-" + user + "-e2e" }

// gateway is one community: a gridwatchd with its embedded broker, its
// registry, phones, and its uplink to the county through a link the test
// can cut.
type gateway struct {
	t        *testing.T
	site     string
	gw       *testsvc.Gateway
	http     string // base URL, auth off (loopback)
	mqttAddr string // the embedded broker, for boxes and phones
	link     *testsvc.Proxy
	phones   map[string]*phone

	mu   sync.Mutex
	next int // next box never pressed
}

// newGateway writes site's registry and config and starts its gridwatchd,
// with the uplink to countyAddr (the balancer) through a proxy, sending
// a summary every 5 s.
func newGateway(t *testing.T, bin, site, countyAddr string) *gateway {
	t.Helper()
	return newGatewayEvery(t, bin, site, countyAddr, 5*time.Second)
}

// newGatewayEvery is newGateway with the uplink's summary every
// summaryEvery.
func newGatewayEvery(t *testing.T, bin, site, countyAddr string, summaryEvery time.Duration) *gateway {
	t.Helper()
	dir := t.TempDir()
	g := &gateway{t: t, site: site, phones: map[string]*phone{}}
	g.link = testsvc.NewProxy(t, countyAddr)
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	g.http = "http://" + httpAddr
	g.mqttAddr = "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))

	var reg strings.Builder
	fmt.Fprintf(&reg, "grids:\n  - {id: %s, name: %s社区, level: 3}\n  - {id: %s-g1, name: %s一网格, level: 4, parent: %s}\n", site, site, site, site, site)
	fmt.Fprintf(&reg, "staff:\n  - {id: m1, name: 网格员, role: grid_member, grids: [%s-g1]}\n", site)
	fmt.Fprintf(&reg, "  - {id: l1, name: 网格长, role: grid_leader, grids: [%s]}\n", site)
	fmt.Fprintf(&reg, "  - {id: room1, name: 监控室, role: security_room, grids: [%s]}\n", site)
	fmt.Fprintf(&reg, "  - {id: cmd1, name: 县指挥中心, role: command_center, grids: [%s]}\n", site)
	reg.WriteString("devices:\n")
	for i := range boxesPerSite {
		fmt.Fprintf(&reg, "  - {id: %s, kind: lightbox, grid: %s-g1, name: %s路%d号, heartbeat: 24h}\n", box(i), site, site, i+1)
	}
	regPath := filepath.Join(dir, "registry.yaml")
	if err := os.WriteFile(regPath, []byte(reg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "site: %s\ndata_dir: %q\nregistry: %q\n", site, filepath.Join(dir, "data"), regPath)
	fmt.Fprintf(&cfg, "http: {listen: %q, auth: false}\n", httpAddr)
	fmt.Fprintf(&cfg, "mqtt:\n  embedded:\n    listen: %q\n    allow_anonymous: false\n    users:\n", g.mqttAddr)
	for i := range boxesPerSite {
		fmt.Fprintf(&cfg, "      %s: %q\n", box(i), mqttPassword(box(i)))
	}
	for _, s := range localStaff {
		fmt.Fprintf(&cfg, "      %s: %q\n", s, mqttPassword(s))
	}
	fmt.Fprintf(&cfg, "uplink:\n  url: %q\n  county: qx\n  username: %s\n  password: %q\n  summary_every: %s\n", g.link.URL, site, countyPasswords[site], summaryEvery)
	fmt.Fprintf(&cfg, "escalation:\n  red:\n    steps:\n      - {after: 0s, roles: [grid_member, security_room]}\n      - {after: %s, roles: [grid_leader]}\n", stepOneAfter)
	cfgPath := filepath.Join(dir, "gridwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	g.gw = testsvc.Gridwatchd(t, bin, cfgPath, httpAddr)
	g.gw.Start()
	for _, s := range localStaff {
		p := newPhone(t, g.mqttAddr, s)
		g.phones[s] = p
	}
	return g
}

func box(i int) string { return fmt.Sprintf("lb-%02d", i+1) }

// press presses the next box never pressed and returns its id and when.
func (g *gateway) press() (string, time.Time) {
	g.t.Helper()
	g.mu.Lock()
	if g.next >= boxesPerSite {
		g.mu.Unlock()
		g.t.Fatalf("%s: every box pressed already", g.site)
	}
	dev := box(g.next)
	g.next++
	g.mu.Unlock()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + g.mqttAddr).SetClientID(dev).
		SetUsername(dev).SetPassword(mqttPassword(dev)).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		g.t.Fatalf("%s: connect %s: %v", g.site, dev, tok.Error())
	}
	defer c.Disconnect(50)
	at := time.Now()
	tok := c.Publish("gridwatch/v1/dev/"+dev+"/evt", 1, false, fmt.Sprintf(`{"type":"button.pressed","seq":1,"ts":%d}`, at.UnixMilli()))
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		g.t.Fatalf("%s: press %s: no PUBACK: %v", g.site, dev, tok.Error())
	}
	return dev, at
}

// alarmOf waits until the gateway has an alarm for dev and returns its id.
func (g *gateway) alarmOf(dev string) string {
	g.t.Helper()
	var id string
	testsvc.Eventually(g.t, 30*time.Second, g.site+": an alarm for "+dev, func() bool {
		var list struct{ Alarms []alarm.Alarm }
		if code := getJSON(g.t, g.http+"/api/v1/alarms", &list); code != 200 {
			return false
		}
		for _, a := range list.Alarms {
			if a.Device == dev {
				id = a.ID
				return true
			}
		}
		return false
	})
	return id
}

// alarm returns the gateway's alarm id as its API does.
func (g *gateway) alarm(id string) alarm.Alarm {
	g.t.Helper()
	var a alarm.Alarm
	if code := getJSON(g.t, g.http+"/api/v1/alarms/"+id, &a); code != 200 {
		g.t.Fatalf("%s: GET alarm %s: %d", g.site, id, code)
	}
	return a
}

// act acknowledges, arrives or resolves an alarm locally, as staff by.
func (g *gateway) act(id, action, by string) {
	g.t.Helper()
	code, body := post(g.t, http.DefaultClient, g.http+"/api/v1/alarms/"+id+"/"+action, fmt.Sprintf(`{"by":%q,"note":"e2e"}`, by), "")
	if code != 200 {
		g.t.Fatalf("%s: %s %s as %s: %d %s", g.site, action, id, by, code, body)
	}
}

// backlog is gridwatch_uplink_backlog_records from /metrics.
func (g *gateway) backlog() (float64, bool) {
	resp, err := http.Get(g.http + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "gridwatch_uplink_backlog_records "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

func post(t *testing.T, c *http.Client, url, body, csrf string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// page is one notification a phone got.
type page struct {
	AlarmID string `json:"alarm_id"`
	Step    int    `json:"step"`
	At      time.Time
}

// phone is a staff member's phone on its gateway's embedded broker: a
// persistent session subscribed to its notify topic.
type phone struct {
	staff string
	mu    sync.Mutex
	got   []page
}

func newPhone(t *testing.T, addr, staff string) *phone {
	t.Helper()
	p := &phone{staff: staff}
	handle := func(_ paho.Client, m paho.Message) {
		var pg page
		if json.Unmarshal(m.Payload(), &pg) != nil {
			return
		}
		pg.At = time.Now()
		p.mu.Lock()
		p.got = append(p.got, pg)
		p.mu.Unlock()
	}
	topic := "gridwatch/v1/staff/" + staff + "/notify"
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(staff).SetUsername(staff).SetPassword(mqttPassword(staff)).
		SetCleanSession(false).SetOrderMatters(true).SetConnectTimeout(10 * time.Second).
		SetAutoReconnect(true).SetMaxReconnectInterval(time.Second).SetDefaultPublishHandler(handle)
	o.SetOnConnectHandler(func(c paho.Client) { c.Subscribe(topic, 1, handle) })
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("phone %s: %v", staff, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return p
}

// paged reports whether the phone got step of alarm id.
func (p *phone) paged(id string, step int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pg := range p.got {
		if pg.AlarmID == id && pg.Step == step {
			return true
		}
	}
	return false
}
