package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// scrape returns the value of one sample line of /metrics ("" if absent),
// matched by its name and labels as printed.
func (d *daemon) scrape(sample string) float64 {
	d.t.Helper()
	resp, err := http.Get("http://" + d.httpAddr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	return -1
}

func (d *daemon) readyz() int {
	resp, err := http.Get("http://" + d.httpAddr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// tryPress publishes a press and reports whether it was acknowledged
// within a few seconds.
func (d *daemon) tryPress(dev string, seq int) bool {
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + d.mqttAddr).SetClientID(dev).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		d.t.Fatalf("connect %s: %v", dev, tok.Error())
	}
	defer c.Disconnect(0)
	tok := c.Publish("gridwatch/v1/dev/"+dev+"/evt", 1, false, fmt.Sprintf(`{"type":"button.pressed","seq":%d,"ts":%d}`, seq, time.Now().UnixMilli()))
	return tok.WaitTimeout(5*time.Second) && tok.Error() == nil
}

func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// TestFullDiskNeverTakesThePanicsRoom is issue 11's hole 6 with the real
// daemon on a real small filesystem (tmpfs, so a real ENOSPC):
//
//  1. InfluxDB is down and telemetry floods in: the telemetry spool stops
//     at influx.spool_min_free_bytes and sheds (counted); a press still
//     raises its alarm.
//  2. Something else fills the disk to the last byte: presses are still
//     taken, in the room the journal keeps allocated ahead of itself
//     (journal.headroom_bytes); once that is used up they are refused (no
//     PUBACK, so devices resend) and /readyz says so.
//  3. Space is freed: with no restart, presses are acknowledged and raise
//     alarms again, and /readyz is 200. (Before, the journal latched
//     "broken" at the first failed write and refused every panic until a
//     restart; and the 1 GiB spool took the whole disk.)
func TestFullDiskNeverTakesThePanicsRoom(t *testing.T) {
	fs := testsvc.SmallFS(t, 24<<20)
	const floor = 4 << 20
	const headroom = 32 << 10 // some 100 presses
	d := newDaemon(t)
	d.writeRegistry(storageRegistry + "  - {id: lb-0003, kind: lightbox, grid: lh-g4-07, name: 莲花路30号}\n")
	cfg, err := os.ReadFile(d.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	dead := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t)) // InfluxDB is down
	cfg = []byte(strings.Replace(string(cfg), "data_dir: data", "data_dir: "+filepath.Join(fs, "data"), 1))
	cfg = fmt.Appendf(cfg, "influx: {url: \"http://%s\", bucket: gw, spool_min_free_bytes: %d}\n", dead, floor)
	cfg = fmt.Appendf(cfg, "journal: {headroom_bytes: %d}\ningest: {device_rate: 1000, device_burst: 1000}\n", headroom)
	if err := os.WriteFile(d.cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	d.start()

	// 1. Leave the floor and 1 MiB, then flood telemetry well past it.
	filler := filepath.Join(fs, "filler")
	testsvc.FillFS(t, filler)
	if err := os.Truncate(filler, max(0, fileSize(t, filler)-(floor+1<<20))); err != nil {
		t.Fatal(err)
	}
	tel := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + d.mqttAddr).SetClientID("lb-0001"))
	if tok := tel.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	big := strings.Repeat("x", 4000)
	shed := `gridwatch_spool_dropped_total{reason="disk_low",spool="telemetry"}`
	for i := 0; i < 3000 && d.scrape(shed) <= 0; i++ {
		tok := tel.Publish("gridwatch/v1/dev/lb-0001/tel", 1, false, fmt.Sprintf(`{"ts":%d,"note":"%s","n":%d}`, time.Now().UnixMilli(), big, i))
		tok.WaitTimeout(10 * time.Second)
	}
	tel.Disconnect(0)
	testsvc.Eventually(t, 30*time.Second, "telemetry shed for the free-space floor", func() bool { return d.scrape(shed) > 0 })
	if free := freeBytes(t, fs); free < floor/2 {
		t.Errorf("%d bytes free after the telemetry flood, want about the floor %d", free, floor)
	}
	d.press("lb-0001", 1)
	d.alarmFor("lb-0001")

	// 2. The disk fills to the last byte: presses are still taken in the
	// journal's headroom, then refused, never lost.
	testsvc.FillFS(t, filepath.Join(fs, "filler2"))
	if free := freeBytes(t, fs); free > 64<<10 {
		t.Fatalf("%d bytes still free after filling the disk", free)
	}
	taken := 0
	for taken < 2000 && d.tryPress("lb-0002", taken+1) {
		taken++
	}
	t.Logf("%d presses taken on the full disk, in the journal's headroom", taken)
	if taken < 20 {
		t.Errorf("only %d presses taken after the disk filled up, want the journal's headroom (%d bytes) to take more", taken, headroom)
	}
	if taken == 2000 {
		t.Fatal("presses still acknowledged long after the disk filled up")
	}
	if taken > 0 {
		d.alarmFor("lb-0002")
	}
	testsvc.Eventually(t, 30*time.Second, "/readyz 503 while the journal cannot write", func() bool { return d.readyz() == http.StatusServiceUnavailable })

	// 3. Space returns; no restart.
	for _, f := range []string{filler, filepath.Join(fs, "filler2")} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	d.press("lb-0003", 1)
	d.alarmFor("lb-0003")
	testsvc.Eventually(t, 30*time.Second, "/readyz 200 once the journal writes again", func() bool { return d.readyz() == http.StatusOK })
	if n := d.scrape("gridwatch_journal_write_errors_total"); n < 1 {
		t.Errorf("journal write errors counted %v, want at least 1", n)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
