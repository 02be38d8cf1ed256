package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/uplink"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// syncBuffer is a log sink the uplink's goroutines write to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUplinkTLS: uplink.tls against a real Mosquitto TLS listener. The
// broker is verified by uplink.tls.ca and, where the broker requires one,
// the gateway logs in with its client certificate; a broker whose
// certificate the configured CA did not issue is refused, with the
// reason in the log, and nothing is sent to it.
func TestUplinkTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testsvc.NewCA(t, dir, "county-ca")
	srvCert, srvKey := ca.Server("county-broker")
	gwCert, gwKey := ca.Client("gw-lianhua")
	hallCert, hallKey := ca.Client("county-hall")
	other := testsvc.NewCA(t, t.TempDir(), "other-ca")

	for _, tc := range []struct {
		name      string
		clientCA  string // the broker requires a client certificate from it
		ca        string // uplink.tls.ca
		cert, key string // uplink.tls.cert, key
		online    bool
		logWants  string
	}{
		{name: "server verified by the CA", ca: ca.File, online: true},
		{name: "client certificate", clientCA: ca.File, ca: ca.File, cert: gwCert, key: gwKey, online: true},
		{name: "wrong CA refused", ca: other.File, logWants: "certificate signed by unknown authority"},
		{name: "no client certificate refused", clientCA: ca.File, ca: ca.File, logWants: "tls: certificate required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mq := testsvc.MosquittoTLS(t, srvCert, srvKey, tc.clientCA)
			tlsCfg, err := uplinkTLS(tc.ca, tc.cert, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			var logs syncBuffer
			up, err := uplink.Open(uplink.Config{URL: mq.URL, County: "qx", Site: "lianhua", ClientID: "gw-lianhua",
				TLS: tlsCfg, Path: filepath.Join(t.TempDir(), uplinkFile),
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = up.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done; _ = up.Close() })

			// The county's side, trusting the right CA (with its own
			// client certificate), reads the site's retained status.
			hall := &tls.Config{MinVersion: tls.VersionTLS12}
			if hc, err := uplinkTLS(ca.File, hallCert, hallKey); err != nil {
				t.Fatal(err)
			} else {
				hall = hc
			}
			status := make(chan []byte, 16)
			c := paho.NewClient(paho.NewClientOptions().AddBroker(mq.URL).SetClientID("hall").SetTLSConfig(hall))
			if tok := c.Connect(); !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
				t.Fatalf("county side connect: %v", tok.Error())
			}
			defer c.Disconnect(100)
			topic := countywire.Topics{County: "qx", Site: "lianhua"}.Status()
			if tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { status <- m.Payload() }); !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
				t.Fatalf("subscribe: %v", tok.Error())
			}
			if tc.online {
				testsvc.Eventually(t, time.Minute, "the site online over TLS", func() bool {
					select {
					case b := <-status:
						return bytes.Contains(b, []byte(`"online":true`))
					default:
						return false
					}
				})
				return
			}
			// Under TLS 1.3 the server checks the client's certificate after
			// the client has finished its handshake, so a try may end in a
			// bare EOF instead of the alert; a later one names the reason.
			defer func() {
				if t.Failed() {
					t.Logf("log: %s", logs.String())
				}
			}()
			testsvc.Eventually(t, time.Minute, "the refusal in the log", func() bool { return strings.Contains(logs.String(), tc.logWants) })
			select {
			case b := <-status:
				t.Errorf("a refused uplink reached the broker: status %s", b)
			default:
			}
			t.Logf("log: %s", logs.String())
		})
	}
}
