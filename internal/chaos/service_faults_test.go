package chaos

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestChaosMosquittoDown: the gateway runs against an external Mosquitto
// (persistence on); Mosquitto is killed with SIGKILL for 30 s under load,
// then started again. Boxes and phones reconnect by themselves.
func TestChaosMosquittoDown(t *testing.T) {
	requireFull(t)
	m := testsvc.MosquittoPersistent(t)
	const before, down, after = 10 * time.Second, 30 * time.Second, 15 * time.Second
	s := newSite(t, siteOpts{boxes: boxesFor(before + down + after), external: m.URL})
	ps := up(t, s)
	l := startLoad(s, pressRate)
	time.Sleep(before)
	m.Kill()
	time.Sleep(down)
	m.Start()
	time.Sleep(after)
	presses := l.stop()
	table.add(t, settle(s, "3 mosquitto kill -9 30s", presses, ps, nil, settleWithin))
}

// telemetry keeps boxes connected, each sending telemetry at QoS 1 with a
// timestamp of its own that never repeats, and counts what was
// acknowledged.
type telemetry struct {
	acked, sent atomic.Int64
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

func startTelemetry(s *site, boxes int, every time.Duration) *telemetry {
	ctx, cancel := context.WithCancel(context.Background())
	tl := &telemetry{cancel: cancel}
	for i := range boxes {
		box := fmt.Sprintf("tl-%03d", i)
		tl.wg.Add(1)
		go func() {
			defer tl.wg.Done()
			tl.run(ctx, s.mqttURL, box, every)
		}()
	}
	return tl
}

func (tl *telemetry) run(ctx context.Context, url, box string, every time.Duration) {
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(box).
		SetUsername(box).SetPassword(password(box)).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(250 * time.Millisecond).
		SetMaxReconnectInterval(time.Second)
	c := paho.NewClient(opts)
	c.Connect()
	defer c.Disconnect(0)
	topic := "gridwatch/v1/dev/" + box + "/tel"
	var last int64
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ts := max(time.Now().UnixMilli(), last+1)
		last = ts
		tl.sent.Add(1)
		tok := c.Publish(topic, 1, false, fmt.Sprintf(`{"ts":%d,"battery_v":12.5,"mains":true}`, ts))
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			tl.acked.Add(1)
		}
	}
}

func (tl *telemetry) stop() {
	tl.cancel()
	tl.wg.Wait()
}

// storedTelemetry counts the telemetry points of the tl- boxes in InfluxDB.
func storedTelemetry(x *testsvc.Influx) (int64, error) {
	series, err := x.TryQuery(`SELECT count(battery_v) FROM device_telemetry WHERE device =~ /^tl-/`)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range series {
		for _, row := range s.Values {
			if len(row) > 1 {
				if f, ok := row[1].(float64); ok {
					n += int64(f)
				}
			}
		}
	}
	return n, nil
}

// TestChaosInfluxDown: InfluxDB is stopped for 2 minutes under telemetry
// load (20 boxes, 10 points/s each) and presses; presses must be
// unaffected, and every acknowledged telemetry point must be in InfluxDB
// once it is back.
func TestChaosInfluxDown(t *testing.T) {
	requireFull(t)
	x := testsvc.InfluxDB(t)
	const before, down, after = 10 * time.Second, 2 * time.Minute, 10 * time.Second
	s := newSite(t, siteOpts{boxes: boxesFor(before + down + after), telemetry: 20, influx: x})
	ps := up(t, s)
	tl := startTelemetry(s, 20, 100*time.Millisecond)
	l := startLoad(s, pressRate)
	time.Sleep(before)
	x.Stop()
	time.Sleep(down)
	x.Start()
	time.Sleep(after)
	tl.stop()
	presses := l.stop()
	v := settle(s, "4 influxdb down 2m", presses, ps, nil, settleWithin)

	acked := tl.acked.Load()
	var stored int64
	deadline := time.Now().Add(5 * time.Minute) // the writer's retry backoff may be long
	for {
		n, err := storedTelemetry(x)
		if err == nil {
			stored = n
		}
		if stored >= acked || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	v.note("telemetry: %d sent, %d acknowledged, %d points in InfluxDB", tl.sent.Load(), acked, stored)
	if stored < acked {
		v.fail("%d acknowledged telemetry points never reached InfluxDB", acked-stored)
	}
	table.add(t, v)
}
