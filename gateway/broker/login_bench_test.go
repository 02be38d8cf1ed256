package broker

import (
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/passwd"
)

// BenchmarkReconnectStorm measures what a fleet reconnecting costs the
// broker: each op is one device logging in with its registry hash (argon2id)
// and disconnecting, over a real TCP connection with paho. "cold" is the
// first login of each device (one KDF check each, as after a gateway
// restart); "warm" is their reconnect (the remembered verification).
//
//	go test -run '^$' -bench ReconnectStorm -benchtime 200x ./gateway/broker/
func BenchmarkReconnectStorm(b *testing.B) {
	hash, err := passwd.Hash("pw")
	if err != nil {
		b.Fatal(err)
	}
	addr := freeAddr(b)
	br, err := New(Config{Listen: addr, Handler: &recorder{}, TopicRoot: "gridwatch/v1",
		Credentials: func(string) (string, bool) { return hash, true }})
	if err != nil {
		b.Fatal(err)
	}
	startRun(b, br)
	login := func(b *testing.B, id string) {
		opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
			SetUsername(id).SetPassword("pw").SetAutoReconnect(false).SetConnectTimeout(10 * time.Second)
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
			b.Fatalf("connect %s: %v", id, tok.Error())
		}
		c.Disconnect(0)
	}
	n := 0
	b.Run("cold", func(b *testing.B) {
		n = b.N
		for i := range b.N {
			login(b, fmt.Sprintf("lb-%05d", i))
		}
	})
	b.Run("warm", func(b *testing.B) {
		for i := range b.N {
			login(b, fmt.Sprintf("lb-%05d", i%max(n, 1)))
		}
	})
}
