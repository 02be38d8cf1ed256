package deploycheck

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// sample returns the value of the unlabelled series name in a text-format
// scrape, and whether it is there.
func sample(scrape []byte, name string) (float64, bool) {
	for line := range strings.Lines(string(scrape)) {
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}

// waitSample polls /metrics until name has want, failing after wait.
func waitSample(t *testing.T, base, name string, want float64) []byte {
	t.Helper()
	var scrape []byte
	testsvc.Eventually(t, wait, name+" = "+strconv.FormatFloat(want, 'g', -1, 64), func() bool {
		scrape = get(t, base+"/metrics")
		v, ok := sample(scrape, name)
		return ok && v == want
	})
	return scrape
}

// TestEmbeddedBrokerScrape runs a gateway with its embedded broker (the
// other scrape test uses an external Mosquitto), so that the broker's
// gridwatch_broker_* metrics are in /metrics, follow a device connecting
// and leaving, and pass `promtool check metrics` with everything else.
func TestEmbeddedBrokerScrape(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	base, topics := runGateway(t, func(cfg *config.Config) { cfg.MQTT.Embedded.Listen = addr })
	waitReady(t, base)
	waitSample(t, base, "gridwatch_ready", 1)
	waitSample(t, base, "gridwatch_broker_up", 1)
	waitSample(t, base, "gridwatch_broker_clients_connected", 0)

	dev := connect(t, "tcp://"+addr, "lb-0001")
	publish(t, dev, topics.Telemetry("lb-0001"), `{"battery_v":12.4,"mains":true}`)
	scrape := waitSample(t, base, "gridwatch_broker_clients_connected", 1)
	if v, _ := sample(scrape, "gridwatch_broker_messages_received_total"); v < 1 {
		t.Errorf("gridwatch_broker_messages_received_total = %v after a publish, want >= 1", v)
	}
	for _, name := range []string{"gridwatch_broker_subscriptions", "gridwatch_broker_retained_messages",
		"gridwatch_broker_inflight_messages", "gridwatch_broker_sessions_disconnected", "gridwatch_broker_sent_bytes_total"} {
		if _, ok := sample(scrape, name); !ok {
			t.Errorf("%s not in /metrics", name)
		}
	}
	testsvc.LintMetrics(t, scrape)
	dev.Disconnect(100)
	waitSample(t, base, "gridwatch_broker_clients_connected", 0)
}

// TestReadyGaugeFollowsReadyz takes the external broker away and back:
// gridwatch_ready says what /readyz says, and the link's reconnect is
// counted.
func TestReadyGaugeFollowsReadyz(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	base, _ := runGateway(t, func(cfg *config.Config) {
		cfg.MQTT.URL, cfg.MQTT.ClientID = mq.URL, "gridwatchd-ready-"+strconv.FormatInt(time.Now().UnixNano(), 36)
	})
	waitReady(t, base)
	waitSample(t, base, "gridwatch_ready", 1)
	waitSample(t, base, "gridwatch_mqtt_reconnects_total", 0)

	mq.Stop()
	testsvc.Eventually(t, wait, "/readyz 503 with the broker away", func() bool { return readyz(base) == http.StatusServiceUnavailable })
	waitSample(t, base, "gridwatch_ready", 0)
	waitSample(t, base, "gridwatch_mqtt_connected", 0)

	mq.Start()
	waitReady(t, base)
	waitSample(t, base, "gridwatch_ready", 1)
	waitSample(t, base, "gridwatch_mqtt_reconnects_total", 1)
}
