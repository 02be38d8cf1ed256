package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/loadgen"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// Systems and brokers of the table.
const (
	floorSys   = "floor"
	gatewaySys = "gridwatchd"
	embedded   = "embedded"
	mosquitto  = "mosquitto"
)

// load is one bench's load and length, the same for every target.
type load struct {
	boxes      int
	presses    float64       // per second
	background float64       // telemetry messages per second, QoS 0
	duration   time.Duration // per target, all its rounds together
	rounds     int           // pieces duration is cut into, interleaved with the other target's
	lostAfter  time.Duration
	// profileDir, when set, receives a CPU profile of gridwatchd taken over
	// each of its runs (gridwatchd -pprof), named gridwatchd-BROKER.pprof.
	profileDir string
	// fsyncs runs every target under strace and counts its fsyncs.
	fsyncs bool
}

// target is one line of the table.
type target struct{ system, broker string }

func (tg target) name() string { return tg.system + "-" + tg.broker }

// runTarget starts the target fresh (and a fresh Mosquitto for it), runs
// the load against it and stops it. It fails the test only if a part
// cannot start or the load cannot connect. With l.fsyncs it also returns
// the target's fsyncs during the load, by call and file.
func runTarget(t *testing.T, tg target, l load) (loadgen.Result, map[string]int) {
	t.Helper()
	dir := t.TempDir()
	regPath := writeRegistry(t, dir, l.boxes)
	reg, err := registry.Load(regPath)
	if err != nil {
		t.Fatal(err)
	}
	var brokerURL, listen string
	if tg.broker == mosquitto {
		brokerURL = testsvc.Mosquitto(t).URL
	} else {
		listen = loopback(t)
		brokerURL = "tcp://" + listen
	}
	var profile func() error
	var httpAddr string
	var trace *fsyncTrace
	traced := func(bin string) string {
		if !l.fsyncs {
			return bin
		}
		trace = traceFsyncs(t, dir, bin)
		return trace.wrapper
	}
	switch tg.system {
	case floorSys:
		args := []string{"-registry", regPath, "-journal", filepath.Join(dir, "floor.journal")}
		if listen != "" {
			args = append(args, "-embedded", listen)
		} else {
			args = append(args, "-broker", brokerURL)
		}
		stop := testsvc.FloorRelay(t, traced(gridsim(t)), args...)
		defer stop()
	case gatewaySys:
		httpAddr = loopback(t)
		var external string
		if listen == "" {
			external = brokerURL
		}
		cfg := writeConfig(t, dir, regPath, httpAddr, listen, external, l.background/float64(l.boxes))
		var extra []string
		if l.profileDir != "" {
			pp := loopback(t)
			extra = []string{"-pprof", pp}
			profile = func() error {
				// An execution trace of a few seconds from the middle of the
				// run (where the time between PUBLISH in and page out goes:
				// go tool trace -pprof=syscall|sync|sched), then the CPU
				// profile of the whole run.
				traced := make(chan error, 1)
				go func() {
					time.Sleep(l.duration / 2)
					traced <- fetch("http://"+pp+"/debug/pprof/trace?seconds=5", time.Minute, filepath.Join(l.profileDir, "gridwatchd-"+tg.broker+".trace"))
				}()
				err := fetchProfile(pp, l.duration, filepath.Join(l.profileDir, "gridwatchd-"+tg.broker+".pprof"))
				return errors.Join(err, <-traced)
			}
		}
		gw := testsvc.GridwatchdArgs(t, traced(gridwatchd(t)), cfg, httpAddr, extra...)
		gw.Start()
		defer gw.Stop()
	}
	b, err := loadgen.New(loadgen.Config{
		Dial: mqttconn.Dial{Broker: brokerURL}, Topics: wire.Topics{Root: wire.DefaultRoot}, Registry: reg,
		PressRate: l.presses, BackgroundRate: l.background, Devices: l.boxes, Duration: l.duration,
		LostAfter: l.lostAfter, NoAlarms: tg.system == floorSys,
	})
	if err != nil {
		t.Fatal(err)
	}
	if trace != nil {
		trace.mark()
	}
	profiled := make(chan error, 1)
	if profile != nil {
		go func() { profiled <- profile() }()
	}
	r, err := b.Run(context.Background())
	if err != nil {
		t.Fatalf("%s on %s: %v", tg.system, tg.broker, err)
	}
	if profile != nil {
		if err := <-profiled; err != nil {
			t.Errorf("profile of gridwatchd on %s: %v", tg.broker, err)
		}
		if err := fetch("http://"+httpAddr+"/metrics", time.Minute, filepath.Join(l.profileDir, "gridwatchd-"+tg.broker+".metrics")); err != nil {
			t.Errorf("metrics of gridwatchd on %s: %v", tg.broker, err)
		}
	}
	if trace == nil {
		return r, nil
	}
	counts, err := trace.count()
	if err != nil {
		t.Errorf("fsyncs of %s on %s: %v", tg.system, tg.broker, err)
	}
	return r, counts
}

// fetchProfile takes a CPU profile of about d from a -pprof listener and
// writes it to path.
func fetchProfile(addr string, d time.Duration, path string) error {
	secs := max(1, int(d.Seconds())-1)
	return fetch("http://"+addr+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), d+time.Minute, path)
}

// fetch writes what GET url answers to path.
func fetch(url string, timeout time.Duration, path string) error {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loopback is a free 127.0.0.1:port.
func loopback(t testing.TB) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(testsvc.FreePort(t)))
}
