package broker

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// value returns the value of the unlabelled metric name in reg, and
// whether it is exported at all.
func value(t *testing.T, reg *prometheus.Registry, name string) (float64, bool) {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() != name || len(f.GetMetric()) == 0 {
			continue
		}
		m := f.GetMetric()[0]
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// waitMetric polls until name has want, failing after a generous deadline
// with the last value seen.
func waitMetric(t *testing.T, reg *prometheus.Registry, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, ok := value(t, reg, name)
		if ok && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v (exported %v) after 10s, want %v", name, got, ok, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBrokerMetricsFollowClients(t *testing.T) {
	reg := prometheus.NewRegistry()
	addr := freeAddr(t)
	h := handlerFunc(func(context.Context, string, []byte) error { return nil })
	b, err := New(Config{Listen: addr, AllowAnonymous: true, Handler: h, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := value(t, reg, "gridwatch_broker_up"); !ok || v != 0 {
		t.Fatalf("before Run: gridwatch_broker_up = %v (exported %v), want 0", v, ok)
	}
	if _, ok := value(t, reg, "gridwatch_broker_clients_connected"); ok {
		t.Fatal("before Run: gridwatch_broker_clients_connected exported for a broker that does not serve")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	waitMetric(t, reg, "gridwatch_broker_up", 1)
	waitMetric(t, reg, "gridwatch_broker_clients_connected", 0)

	phone := connect(t, addr, "phone-wang", false, nil)
	waitMetric(t, reg, "gridwatch_broker_clients_connected", 1)
	if tok := phone.Subscribe("gridwatch/v1/staff/wang/notify", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	waitMetric(t, reg, "gridwatch_broker_subscriptions", 1)
	// mochi retains its own $SYS topics too: count from where it stands.
	retained, _ := value(t, reg, "gridwatch_broker_retained_messages")
	dev := connect(t, addr, "lb-1", true, nil)
	waitMetric(t, reg, "gridwatch_broker_clients_connected", 2)
	if tok := dev.Publish("gridwatch/v1/dev/lb-1/state", 1, true, `online`); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	waitMetric(t, reg, "gridwatch_broker_retained_messages", retained+1)
	waitMetric(t, reg, "gridwatch_broker_messages_received_total", 1)
	if err := b.Publish("gridwatch/v1/staff/wang/notify", []byte(`{"alarm_id":"A1"}`), 1, false); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, reg, "gridwatch_broker_messages_sent_total", 1)
	if v, _ := value(t, reg, "gridwatch_broker_received_bytes_total"); v <= 0 {
		t.Errorf("gridwatch_broker_received_bytes_total = %v after a connect and a publish, want > 0", v)
	}
	testsvc.LintGathered(t, reg)

	// The device leaves (clean session: gone); the phone leaves but its
	// persistent session stays, with its subscription.
	dev.Disconnect(100)
	waitMetric(t, reg, "gridwatch_broker_clients_connected", 1)
	waitMetric(t, reg, "gridwatch_broker_sessions_disconnected", 0)
	phone.Disconnect(100)
	waitMetric(t, reg, "gridwatch_broker_clients_connected", 0)
	waitMetric(t, reg, "gridwatch_broker_sessions_disconnected", 1)
	waitMetric(t, reg, "gridwatch_broker_subscriptions", 1)

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	waitMetric(t, reg, "gridwatch_broker_up", 0)
}
