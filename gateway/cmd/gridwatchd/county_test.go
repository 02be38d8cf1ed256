package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// countySite plays one gateway's uplink on the county broker.
type countySite struct {
	t    *testing.T
	c    paho.Client
	tp   countywire.Topics
	seq  uint64
	seen chan countywire.Request // requests it got on its down topic
}

func newCountySite(t *testing.T, url, site string, answer bool) *countySite {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("uplink-" + site).SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	s := &countySite{t: t, c: c, tp: countywire.Topics{County: "qx", Site: site}, seen: make(chan countywire.Request, 16)}
	if answer {
		tok := c.Subscribe(s.tp.Down(), 1, func(c paho.Client, m paho.Message) {
			var r countywire.Request
			if json.Unmarshal(m.Payload(), &r) != nil {
				return
			}
			s.seen <- r
			b, _ := json.Marshal(countywire.Reply{ID: r.ID, OK: true, Status: 200, AtMS: time.Now().UnixMilli()})
			c.Publish(s.tp.Reply(), 1, false, b)
		})
		if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe: %v", tok.Error())
		}
	}
	return s
}

func (s *countySite) publish(topic string, retained bool, v any) {
	s.t.Helper()
	var b []byte
	if v != nil {
		var err error
		if b, err = json.Marshal(v); err != nil {
			s.t.Fatal(err)
		}
	}
	if tok := s.c.Publish(topic, 1, retained, b); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		s.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// alarm sends alarm a's step as the uplink does: on events, and as the
// alarm's retained state.
func (s *countySite) alarm(step string, a alarm.Alarm) {
	s.t.Helper()
	s.seq++
	state, _ := json.Marshal(a)
	rec := countywire.Record{ID: countywire.MakeID(s.tp.Site, s.seq), County: "qx", Site: s.tp.Site, Seq: s.seq,
		Kind: countywire.KindAlarm, AtMS: time.Now().UnixMilli(), Alarm: &countywire.Alarm{Step: step, State: state,
			GridPath: []string{"lh-g1", "lh", "street-1"}, GridNames: []string{"一网格", "莲花社区", "莲花街道"}, DeviceName: "莲花路7号"}}
	s.publish(s.tp.Events(), false, rec)
	s.publish(s.tp.Alarm(a.ID), true, rec)
}

// startCountyView writes dir/county.yaml for the broker at brokerURL with
// the two staff the tests log in as — cmd1 (command centre, password
// cmd-pw) and pol1 (police, pol-pw) — and starts `gridwatchd county` on
// it, on a free loopback port.
func startCountyView(t *testing.T, bin, dir, brokerURL string, replyTimeout time.Duration) *testsvc.Gateway {
	t.Helper()
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	cfg := fmt.Sprintf(`county: qx
http: {listen: %q}
mqtt: {url: %q}
reply_timeout: %s
staff:
  - {id: cmd1, name: 县指挥中心, role: command_center, password_hash: %q}
  - {id: pol1, name: 县公安, role: police, password_hash: %q}
`, httpAddr, brokerURL, replyTimeout, hashWith(t, bin, "cmd-pw"), hashWith(t, bin, "pol-pw"))
	cfgPath := filepath.Join(dir, "county.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	view := testsvc.CountyView(t, bin, cfgPath, httpAddr)
	view.Start()
	return view
}

// countyHall is what the county view tests share: a built gridwatchd in
// dir, a real Mosquitto, and two sites' uplinks on it — lianhua, which
// answers requests, and jinhu, which never does.
type countyHall struct {
	dir, bin, broker string
	lianhua, jinhu   *countySite
}

func newCountyHall(t *testing.T) countyHall {
	t.Helper()
	dir := t.TempDir()
	bin, err := testsvc.BuildGridwatchd(dir)
	if err != nil {
		t.Fatal(err)
	}
	broker := testsvc.Mosquitto(t).URL
	return countyHall{dir: dir, bin: bin, broker: broker,
		lianhua: newCountySite(t, broker, "lianhua", true), jinhu: newCountySite(t, broker, "jinhu", false)}
}

// TestCountyView runs `gridwatchd county -config county.yaml` against a
// real broker as a county hall would use it: a late start sees the open
// alarm a site's uplink left retained, with its site; the filters; the
// live stream; an ack from the county goes down to the site and its
// reply comes back; the county's own table refuses police an emergency
// switch; a site that does not answer is a 504.
func TestCountyView(t *testing.T) {
	site := newCountyHall(t)
	dir, bin, lianhua, silent := site.dir, site.bin, site.lianhua, site.jinhu
	a1 := alarm.Alarm{ID: "A1", Rule: "panic", Severity: "red", Device: "lb-0007", Grid: "lh-g1", State: alarm.Open, RaisedMS: time.Now().UnixMilli(), Step: 0,
		Timeline: []alarm.Entry{{At: time.Now().UnixMilli(), Kind: alarm.EntryRaised}}}
	lianhua.publish(lianhua.tp.Status(), true, countywire.Status{Online: true, AtMS: time.Now().UnixMilli()})
	lianhua.alarm(countywire.StepRaised, a1)
	b1 := a1
	b1.ID = "B1"
	silent.alarm(countywire.StepRaised, b1)

	view := startCountyView(t, bin, dir, site.broker, 5*time.Second)

	hall := newBrowser(t, view.HTTP)
	hall.login("cmd1", "cmd-pw")
	type list struct {
		Alarms []struct {
			ID, Site    string
			SiteAlarmID string `json:"site_alarm_id"`
			State       alarm.State
		}
	}
	var all list
	testsvc.Eventually(t, 20*time.Second, "both sites' open alarms in the late view", func() bool {
		hall.getJSON("/api/v1/alarms", &all)
		return len(all.Alarms) == 2
	})
	for _, a := range all.Alarms {
		if a.ID != a.Site+"/A1" && a.ID != a.Site+"/B1" || a.Site == "" {
			t.Errorf("alarm %+v: want id {site}/{id} and its site", a)
		}
	}
	for q, want := range map[string]int{"?site=lianhua": 1, "?site=nowhere": 0, "?street=莲花街道": 2, "?grid=lh": 2, "?community=other": 0} {
		var l list
		hall.getJSON("/api/v1/alarms"+strings.ReplaceAll(q, "莲花街道", "%E8%8E%B2%E8%8A%B1%E8%A1%97%E9%81%93"), &l)
		if len(l.Alarms) != want {
			t.Errorf("GET /api/v1/alarms%s: %d alarms; want %d", q, len(l.Alarms), want)
		}
	}
	if code, body := hall.do("GET", "/api/v1/alarms/lianhua%2FA1", "", false); code != 200 || !strings.Contains(body, `"timeline"`) {
		t.Errorf("GET one alarm: %d %s", code, body)
	}

	// The live stream shows the next step.
	events := streamOf(t, hall)
	a1.State = alarm.Acknowledged
	lianhua.alarm(countywire.StepAck, a1)
	testsvc.Eventually(t, 20*time.Second, "the ack on the county's stream", func() bool {
		for {
			select {
			case e := <-events:
				if strings.Contains(e, `"id":"lianhua/A1"`) && strings.Contains(e, `"state":"acknowledged"`) {
					return true
				}
			default:
				return false
			}
		}
	})

	// Acting from the county.
	code, body := hall.do("POST", "/api/v1/alarms/lianhua%2FA1/arrive", `{"note":"县公安已到场"}`, true)
	if code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("arrive from the county: %d %s", code, body)
	}
	select {
	case r := <-lianhua.seen:
		if r.Action != countywire.ActArrive || r.AlarmID != "A1" || r.By != "cmd1" || r.Note != "县公安已到场" {
			t.Errorf("the site got %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the site got no request")
	}
	if code, body := hall.do("POST", "/api/v1/alarms/jinhu%2FB1/ack", `{}`, true); code != http.StatusGatewayTimeout {
		t.Errorf("ack to a silent site: %d %s; want 504", code, body)
	}
	police := newBrowser(t, view.HTTP)
	police.login("pol1", "pol-pw")
	if code, body := police.do("POST", "/api/v1/county/emergency", `{"sites":["lianhua"],"grid":"lh","on":true}`, true); code != http.StatusForbidden {
		t.Errorf("police emergency: %d %s; want 403", code, body)
	}
	var sites struct {
		Sites []struct {
			Site   string
			Online bool
		}
	}
	if code, body := hall.do("GET", "/metrics", "", false); code != 200 || !strings.Contains(body, "gridwatch_county_open_alarms 2") ||
		!strings.Contains(body, `gridwatch_county_requests_total{action="arrive",result="ok"} 1`) {
		t.Errorf("/metrics: %d; want the county's series (2 open alarms, 1 arrive answered)", code)
	}
	hall.getJSON("/api/v1/county/sites", &sites)
	if len(sites.Sites) != 2 || sites.Sites[1].Site != "lianhua" || !sites.Sites[1].Online {
		t.Errorf("site health = %+v", sites)
	}
}

// streamOf follows GET /api/v1/stream as b, sending each event's data.
func streamOf(t *testing.T, b *browser) <-chan string {
	t.Helper()
	jar := b.c.Jar
	c := &http.Client{Jar: jar.(*cookiejar.Jar)}
	req, err := http.NewRequest("GET", b.base+"/api/v1/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %s", resp.Status)
	}
	out := make(chan string, 64)
	hello := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "event: hello") {
				close(hello)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				select {
				case out <- data:
				default:
				}
			}
		}
	}()
	select {
	case <-hello:
	case <-time.After(10 * time.Second):
		t.Fatal("no hello on the stream")
	}
	return out
}

// TestCountyCheck: `gridwatchd county -check` validates the file and
// names every problem with its line.
func TestCountyCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("county: qx\nmqtt: {url: tcp://127.0.0.1:1883}\nhttp: {users: {boss: {role: admin, password_hash: \"$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$cQsZDPhFd8q68AhAQ2dYaHHDK6BIKU7gDkcARlYXz0U\"}}}\n"), 0o600)
	os.WriteFile(bad, []byte("county: qx\nmqtt: {url: nats://x}\nstaff: []\nextra: 1\n"), 0o600)
	var out strings.Builder
	if err := run([]string{"county", "-config", good, "-check"}, &out); err != nil || !strings.Contains(out.String(), "valid") {
		t.Errorf("good file: %v %q", err, out.String())
	}
	err := run([]string{"county", "-config", bad, "-check"}, &out)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:4") || !strings.Contains(err.Error(), "bad.yaml:2: mqtt.url") {
		t.Errorf("bad file: %v; want the unknown key at line 4 and the URL at line 2", err)
	}
	if err := run([]string{"county"}, &out); err == nil {
		t.Error("no -config: accepted")
	}
}
