package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestCountyEmergencyOnConsoleStream: emergency mode switched on and off
// by a county request reaches the site console's live stream as it
// happens (the desk's switch, wired through to the HTTP server), and the
// county still hears of it.
func TestCountyEmergencyOnConsoleStream(t *testing.T) {
	county := testsvc.Mosquitto(t)
	hall := watchCounty(t, county.URL, "qx", "lianhua")
	s := startSite(t, siteOptions{step1After: 10 * time.Minute, mutate: func(c *config.Config) {
		c.Uplink = config.Uplink{URL: county.URL, County: "qx", ClientID: "gw-lianhua-uplink",
			SummaryEvery: config.MinSummaryEvery, OutboxMaxBytes: config.DefaultOutboxMaxBytes}
	}})
	// The uplink is up (it has sent a press) before the county asks.
	dev := s.client("lb-0001", true, nil)
	s.press(dev, "lb-0001", 1)
	testsvc.Eventually(t, wait, "the press at the county", func() bool {
		st, _ := hall.steps()
		return len(st) > 0
	})

	// The console's live stream (auth off: the local console).
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", s.base+"/api/v1/stream", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != http.StatusOK {
		t.Fatalf("stream: %v %v", stream, err)
	}
	defer stream.Body.Close()
	emergencies := make(chan string, 16)
	hello := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && name == "hello":
				close(hello)
			case strings.HasPrefix(line, "data: ") && name == "emergency":
				emergencies <- strings.TrimPrefix(line, "data: ")
			}
		}
		close(emergencies)
	}()
	select {
	case <-hello:
	case <-time.After(wait):
		t.Fatal("no hello on the stream")
	}

	type ev struct {
		Switched    alarm.Emergency
		Emergencies []alarm.Emergency
	}
	heard := func(what string) ev {
		t.Helper()
		select {
		case data, ok := <-emergencies:
			var e ev
			if !ok || json.Unmarshal([]byte(data), &e) != nil {
				t.Fatalf("%s: stream ended or bad event %q", what, data)
			}
			return e
		case <-time.After(wait):
			t.Fatalf("%s: no emergency event on the console's stream", what)
		}
		return ev{}
	}
	if r := hall.ask(`{"id":"e1","by":"cmd1","action":"emergency","grid":"lianhua","on":true}`); !r.OK {
		t.Fatalf("county switches lianhua on: %+v", r)
	}
	if e := heard("on"); e.Switched.Scope != "lianhua" || !e.Switched.On || e.Switched.By != "cmd1" ||
		len(e.Emergencies) != 1 || e.Emergencies[0].Scope != "lianhua" {
		t.Errorf("switched on by the county: the stream said %+v", e)
	}
	if r := hall.ask(`{"id":"e2","by":"cmd1","action":"emergency","grid":"lianhua","on":false}`); !r.OK {
		t.Fatalf("county switches lianhua off: %+v", r)
	}
	if e := heard("off"); e.Switched.Scope != "lianhua" || e.Switched.On || len(e.Emergencies) != 0 {
		t.Errorf("switched off by the county: the stream said %+v", e)
	}
}
