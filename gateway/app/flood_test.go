package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// pager is a staff phone that notes when each page arrived.
type pager struct {
	mu    sync.Mutex
	notes []event.Notification
	at    []time.Time
}

func (p *pager) since(t0 time.Time, rule string) (event.Notification, time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.notes {
		if p.at[i].After(t0) && n.Rule == rule {
			return n, p.at[i], true
		}
	}
	return event.Notification{}, time.Time{}, false
}

func (s *site) pager(id string) *pager {
	s.t.Helper()
	p := &pager{}
	c := s.client("phone-"+id, true, nil)
	tok := c.Subscribe(s.topics.Notify(id), 1, func(_ paho.Client, m paho.Message) {
		at := time.Now()
		var n event.Notification
		if err := json.Unmarshal(m.Payload(), &n); err != nil {
			s.t.Errorf("phone %s: bad notification %s: %v", id, m.Payload(), err)
			return
		}
		p.mu.Lock()
		p.notes, p.at = append(p.notes, n), append(p.at, at)
		p.mu.Unlock()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		s.t.Fatalf("subscribe %s: %v", id, tok.Error())
	}
	return p
}

// TestFloodingDeviceIsThrottledAndFlagged floods the broker from a real
// MQTT client as lb-0003 (telemetry at QoS 0 and events at QoS 1, as fast
// as the client goes, bounded in count and time) while lb-0001 and lb-0002
// press their panic buttons. The good devices' presses are PUBACKed and
// page wang promptly throughout; the flooding box's own panic press is
// still taken; the flood is refused as rate_limited and raises exactly one
// orange device_flooding alarm; and every flood event the broker
// acknowledged reached the gateway (accepted or refused), none lost.
//
// Through an external Mosquitto the gateway can refuse a flood only after
// the broker has queued it: the link must drain its event subscription as
// fast as a device can fill it, and Mosquitto's queue toward the gateway
// must be sized for it (testsvc.MosquittoSettings, docs/operations.md).
// Mosquitto's "Outgoing messages are being dropped" is a failure.
func TestFloodingDeviceIsThrottledAndFlagged(t *testing.T) {
	t.Run("embedded broker", func(t *testing.T) {
		floodScenario(t, startSite(t, siteOptions{}), "embedded")
	})
	t.Run("external mosquitto", func(t *testing.T) {
		mq := testsvc.Mosquitto(t)
		floodScenario(t, startSite(t, siteOptions{external: mq.URL}), "external")
		b, err := os.ReadFile(mq.LogFile)
		if err != nil {
			t.Fatal(err)
		}
		// Telemetry (QoS 0, its own connection "-tel") may be shed; nothing
		// queued for any other client may be.
		for _, line := range regexp.MustCompile(`Outgoing messages are being dropped for client .*`).FindAll(b, -1) {
			if !bytes.HasSuffix(bytes.TrimSpace(line), []byte("-tel.")) {
				t.Errorf("mosquitto: %s", line)
			}
		}
	})
}

// floodScenario floods as lb-0003: telemetry, and one message in ten a
// QoS 1 event.
func floodScenario(t *testing.T, s *site, transport string) {
	wang, chen := s.pager("wang"), s.pager("chen")

	// The flood lasts at least floodMin (long enough to fill a broker's
	// queue toward a gateway that drains too slowly) and until the good
	// presses are done, so that on a slow machine they still land during
	// it; floodMax and floodCap only bound a stuck run.
	const floodMin, floodMax, floodCap = 8 * time.Second, 90 * time.Second, 4_000_000
	flooder := s.client("lb-0003", true, nil)
	var sent atomic.Int64
	var pressesDone atomic.Bool
	var evToks []paho.Token // the flood's events, to count those the broker acknowledged
	stop := make(chan struct{})
	done := make(chan struct{})
	t0 := time.Now()
	var floodTook time.Duration
	go func() {
		defer close(done)
		defer func() { floodTook = time.Since(t0) }()
		tel := []byte(`{"battery_v":12.4,"mains":true,"temp_c":31.5,"rssi_dbm":-71}`)
		for i := range floodCap {
			select {
			case <-stop:
				return
			default:
			}
			if d := time.Since(t0); d > floodMax || d > floodMin && pressesDone.Load() {
				return
			}
			if i%10 == 9 {
				evToks = append(evToks, flooder.Publish(s.topics.Event("lb-0003"), 1, false, fmt.Appendf(nil, `{"type":"motion","seq":%d}`, i+1)))
			} else {
				tok := flooder.Publish(s.topics.Telemetry("lb-0003"), 0, false, tel)
				if i%1000 == 0 {
					tok.WaitTimeout(5 * time.Second) // keep paho's queue from growing without bound
				}
			}
			sent.Add(1)
		}
	}()
	t.Cleanup(func() { close(stop); <-done })

	testsvc.Eventually(t, wait, "the flood to be refused", func() bool {
		return metricValue(s.metrics(), `gridwatch_ingest_rejected_total{reason="rate_limited",transport="`+transport+`"}`) > 100
	})

	// The flooding box's own panic press is PUBACKed and pages chen.
	pressAt := time.Now()
	s.publish(flooder, s.topics.Event("lb-0003"), fmt.Appendf(nil, `{"type":"button.pressed","ts":%d}`, pressAt.UnixMilli()))
	testsvc.Eventually(t, wait, "the flooding box's panic press pages chen", func() bool {
		_, _, ok := chen.since(pressAt, "panic")
		return ok
	})

	// The good boxes press in turn; each alarm is resolved before the
	// next press so that every press raises (and pages) anew.
	good := s.client("lb-0001", true, nil)
	good2 := s.client("lb-0002", true, nil)
	var lat []time.Duration
	for i := range 6 {
		dev, c := "lb-0001", good
		if i%2 == 1 {
			dev, c = "lb-0002", good2
		}
		at := time.Now()
		s.press(c, dev, i+1) // waits for the PUBACK
		var n event.Notification
		var got time.Time
		testsvc.Eventually(t, wait, dev+" paged wang", func() bool {
			var ok bool
			n, got, ok = wang.since(at, "panic")
			return ok && n.Device == dev
		})
		select {
		case <-done:
			t.Logf("press %d landed after the flood ended (floodMax); not counted", i+1)
		default:
			lat = append(lat, got.Sub(at))
		}
		if code, body := s.post("/api/v1/alarms/"+n.AlarmID+"/resolve", `{"by":"room1"}`); code != 200 {
			t.Fatalf("resolve: %d %s", code, body)
		}
	}
	pressesDone.Store(true)
	<-done
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Logf("%s: flood: %d messages from lb-0003 in %v; no press landed during it (a very slow machine): no latency figures",
			transport, sent.Load(), floodTook.Round(time.Millisecond))
	} else {
		t.Logf("%s: flood: %d messages from lb-0003 in %v; good devices' press→page latency during it: min %v, median %v, max %v (%d presses)",
			transport, sent.Load(), floodTook.Round(time.Millisecond), lat[0], lat[len(lat)/2], lat[len(lat)-1], len(lat))
	}
	for _, l := range lat {
		if l > 10*time.Second { // generous: only a stuck alarm path fails this
			t.Errorf("press→page took %v during the flood", l)
		}
	}

	// Every flood event the broker acknowledged reached the gateway:
	// accepted, or refused over the budget (or as a redelivered duplicate).
	var acked int
	for _, tok := range evToks {
		if !tok.WaitTimeout(wait) {
			break // the flooder's connection is stuck; count what was acknowledged
		}
		if tok.Error() == nil {
			acked++
		}
	}
	handled := func(m string) float64 {
		var n float64
		for _, sample := range []string{
			`gridwatch_ingest_messages_total{kind="evt",transport="` + transport + `"}`,
			`gridwatch_ingest_rate_limited_total{class="event",transport="` + transport + `"}`,
			`gridwatch_ingest_rate_limited_total{class="panic",transport="` + transport + `"}`,
			`gridwatch_ingest_rejected_total{reason="duplicate",transport="` + transport + `"}`,
		} {
			n += max(metricValue(m, sample), 0)
		}
		return n
	}
	want := float64(acked + 7) // and the 7 panic presses
	var got float64
	for deadline := time.Now().Add(wait); ; time.Sleep(100 * time.Millisecond) {
		if got = handled(s.metrics()); got >= want || time.Now().After(deadline) {
			break
		}
	}
	if got < want {
		t.Errorf("the gateway handled %v events; the broker acknowledged %d flood events and 7 presses: %v lost", got, acked, want-got)
	}
	t.Logf("%s: %d flood events acknowledged by the broker, %v events handled by the gateway (with the 7 presses)", transport, acked, got)

	m := s.metrics()
	if n := metricValue(m, `gridwatch_ingest_rejected_total{reason="rate_limited",transport="`+transport+`"}`); n < 100 {
		t.Errorf("rate_limited rejects = %v, want the flood refused", n)
	}
	if n := metricValue(m, `gridwatch_ingest_devices_flagged_total{transport="`+transport+`"}`); n != 1 {
		t.Errorf("devices flagged = %v, want 1", n)
	}
	var all struct{ Alarms []alarm.Alarm }
	s.getJSON("/api/v1/alarms?state=all", &all)
	var flagged []alarm.Alarm
	for _, a := range all.Alarms {
		if a.Rule == "device_flooding" {
			flagged = append(flagged, a)
		}
	}
	if len(flagged) != 1 || flagged[0].Device != "lb-0003" || flagged[0].Severity != event.Orange || flagged[0].State != alarm.Open || flagged[0].Count != 1 {
		t.Fatalf("device_flooding alarms: %+v, want one open orange alarm for lb-0003", flagged)
	}
	if _, _, ok := chen.since(t0, "device_flooding"); !ok {
		t.Error("the grid member of the flooding box's cell was not paged for device_flooding")
	}
}

// metricValue reads one sample of a Prometheus text exposition (-1 when
// it is not there).
func metricValue(exposition, sample string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(exposition)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}
