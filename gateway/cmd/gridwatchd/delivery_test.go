package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// staffPhone is a real phone's MQTT client: a persistent session that
// reconnects by itself, and records every page it got, by device.
type staffPhone struct {
	c  paho.Client
	mu sync.Mutex
	by map[string]int // device → pages received
}

func newStaffPhone(t *testing.T, broker, staff string) *staffPhone {
	t.Helper()
	p := &staffPhone{by: map[string]int{}}
	topic := "gridwatch/v1/staff/" + staff + "/notify"
	handle := func(_ paho.Client, m paho.Message) {
		var n event.Notification
		if json.Unmarshal(m.Payload(), &n) == nil {
			p.mu.Lock()
			p.by[n.Device]++
			p.mu.Unlock()
		}
	}
	opts := paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID("phone-" + staff).SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).
		SetMaxReconnectInterval(500 * time.Millisecond).SetOrderMatters(false).SetDefaultPublishHandler(handle).
		SetOnConnectHandler(func(c paho.Client) { c.Subscribe(topic, 1, handle) })
	p.c = paho.NewClient(opts)
	p.c.Connect()
	t.Cleanup(func() { p.c.Disconnect(0) })
	return p
}

func (p *staffPhone) got(dev string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.by[dev] > 0
}

// TestKill9KeepsEveryStepZeroPage: the gateway is killed (SIGKILL) right
// after a burst of presses is acknowledged, four times over, each burst
// on other boxes; the phones of the cell's grid member and the security
// room keep persistent sessions and reconnect after each restart. Every
// acknowledged press raised its alarm, and its step-0 page reached both
// phones and shows as delivered on the alarm.
func TestKill9KeepsEveryStepZeroPage(t *testing.T) {
	const rounds, perRound = 4, 10
	d := newDaemon(t)
	var reg strings.Builder
	reg.WriteString(strings.Split(registryYAML, "devices:")[0] + "devices:\n")
	var devs []string
	for i := range rounds * perRound {
		id := fmt.Sprintf("lb-%04d", i+1)
		devs = append(devs, id)
		fmt.Fprintf(&reg, "  - {id: %s, kind: lightbox, grid: lh-g4-07, name: box %d}\n", id, i+1)
	}
	d.writeRegistry(reg.String())

	gw := d.start()
	phones := map[string]*staffPhone{"wang": newStaffPhone(t, d.mqttAddr, "wang"), "room1": newStaffPhone(t, d.mqttAddr, "room1")}
	for r := range rounds {
		dev := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + d.mqttAddr).SetClientID(fmt.Sprintf("boxes-%d", r)).SetAutoReconnect(false))
		if tok := dev.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("round %d: connect: %v", r, tok.Error())
		}
		var toks []paho.Token
		for _, id := range devs[r*perRound : (r+1)*perRound] {
			toks = append(toks, dev.Publish("gridwatch/v1/dev/"+id+"/evt", 1, false,
				fmt.Sprintf(`{"type":"button.pressed","seq":1,"ts":%d}`, time.Now().UnixMilli())))
		}
		for i, tok := range toks {
			if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatalf("round %d: press %d: no PUBACK: %v", r, i, tok.Error())
			}
		}
		if err := gw.Process.Kill(); err != nil { // SIGKILL, straight after the last PUBACK
			t.Fatal(err)
		}
		_, _ = gw.Process.Wait()
		dev.Disconnect(0)
		gw = d.start()
	}

	for staff, p := range phones {
		testsvc.Eventually(t, 90*time.Second, staff+"'s phone has every alarm's step-0 page", func() bool {
			for _, id := range devs {
				if !p.got(id) {
					return false
				}
			}
			return true
		})
	}
	var list struct{ Alarms []alarm.Alarm }
	testsvc.Eventually(t, 60*time.Second, "every alarm's pages delivered", func() bool {
		resp, err := http.Get("http://" + d.httpAddr + "/api/v1/alarms?state=open")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if json.NewDecoder(resp.Body).Decode(&list) != nil || len(list.Alarms) != len(devs) {
			return false
		}
		for _, a := range list.Alarms {
			delivered := 0
			for _, p := range a.Pages {
				if p.Step == 0 && p.State == event.PageDelivered && (p.Staff == "wang" || p.Staff == "room1") {
					delivered++
				}
			}
			if delivered != 2 {
				return false
			}
		}
		return true
	})
}
