package broker

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// BenchmarkPagePublish is one page through the embedded broker: the
// gateway publishes a QoS 1 notification and a phone (a persistent
// session, as the staff app's) receives it and acknowledges it. With
// broker.db every message is also stored (in flight) and forgotten
// (acknowledged); that store must not sit between the publish and the
// phone.
//
//	go test -run '^$' -bench PagePublish -benchtime 2000x ./gateway/broker/
func BenchmarkPagePublish(b *testing.B) {
	for _, c := range []struct {
		name    string
		persist bool
	}{{"memory", false}, {"broker.db", true}} {
		b.Run(c.name, func(b *testing.B) {
			addr := freeAddr(b)
			cfg := Config{Listen: addr, AllowAnonymous: true, Handler: handlerFunc(func(context.Context, string, []byte) error { return nil })}
			if c.persist {
				cfg.DataDir = b.TempDir()
			}
			br, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- br.Run(ctx) }()
			defer func() { cancel(); <-done }()
			for br.Ready() != nil {
				time.Sleep(5 * time.Millisecond)
			}
			got := make(chan struct{}, 1)
			phone := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("phone-bench").
				SetCleanSession(false).SetOrderMatters(false))
			if tok := phone.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				b.Fatalf("connect: %v", tok.Error())
			}
			defer phone.Disconnect(100)
			const topic = "gridwatch/v1/staff/wang/notify"
			if tok := phone.Subscribe(topic, 1, func(paho.Client, paho.Message) { got <- struct{}{} }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				b.Fatalf("subscribe: %v", tok.Error())
			}
			payload := []byte(`{"alarm_id":"A1","page_id":"A1-0-wang","severity":"red"}`)
			b.ResetTimer()
			for range b.N {
				if err := br.Publish(topic, payload, 1, false); err != nil {
					b.Fatal(err)
				}
				select {
				case <-got:
				case <-time.After(10 * time.Second):
					b.Fatal("page not received in 10s")
				}
			}
		})
	}
}
