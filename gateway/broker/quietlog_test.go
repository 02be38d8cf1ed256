package broker

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testlog"
)

// TestRefusedPublishesDoNotFloodTheLog is hole 10: mochi logged every
// refused publish whole at WARN, so 100 publishes of 30 KB off the ACL
// made megabytes of log. Now the packet is cut to its type, topic and size
// and the line is rate-limited; the refusals are counted.
func TestRefusedPublishesDoNotFloodTheLog(t *testing.T) {
	logs := &testlog.Buffer{}
	addr := freeAddr(t)
	b, _ := startBroker(t, Config{Listen: addr, Handler: &recorder{}, TopicRoot: "gridwatch/v1",
		Users:  plainUsers("lb-1", "pw-1", "lb-2", "pw-2"),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	payload := strings.Repeat("x", 30<<10)
	const n = 100
	for i := range n {
		opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("lb-1").
			SetUsername("lb-1").SetPassword("pw-1").SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect %d: %v", i, tok.Error())
		}
		// QoS 1 off the ACL: mochi disconnects an MQTT 3.1.1 client.
		c.Publish("gridwatch/v1/dev/lb-2/evt", 1, false, payload).WaitTimeout(5 * time.Second)
		waitFor(t, func() bool { return !c.IsConnectionOpen() })
		c.Disconnect(0)
	}
	waitFor(t, func() bool { return testutilValue(b, "publish") == n })
	out := logs.String()
	if strings.Contains(out, strings.Repeat("x", 100)) {
		t.Error("a refused payload was written to the log")
	}
	// 100 lines of a few hundred bytes would be 50 KB; the old log was
	// over 3 MB. Rate-limited, a handful of lines remain.
	if len(out) > 20<<10 {
		t.Errorf("the log holds %d bytes after %d refused publishes, want under 20 KB:\n%.2000s", len(out), n, out)
	}
}
