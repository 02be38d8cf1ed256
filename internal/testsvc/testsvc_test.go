package testsvc

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFreePort(t *testing.T) {
	p := FreePort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort = %d", p)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatalf("port %d is not free: %v", p, err)
	}
	l.Close()
}

// mqttConnect speaks MQTT 3.1.1 to addr: CONNECT, and expects CONNACK
// "accepted". It proves a real broker is listening, not just a socket.
func mqttConnect(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	clientID := "testsvc"
	var p bytes.Buffer
	p.Write([]byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30}) // v3.1.1, clean session, keepalive 30 s
	p.Write([]byte{0, byte(len(clientID))})
	p.WriteString(clientID)
	pkt := append([]byte{0x10, byte(p.Len())}, p.Bytes()...)
	if _, err := c.Write(pkt); err != nil {
		return err
	}
	ack := make([]byte, 4)
	if _, err := bufio.NewReader(c).Read(ack); err != nil {
		return fmt.Errorf("read CONNACK: %w", err)
	}
	if !bytes.Equal(ack, []byte{0x20, 0x02, 0x00, 0x00}) {
		return fmt.Errorf("CONNACK = % x, want 20 02 00 00", ack)
	}
	return nil
}

func TestMosquittoStartStopRestart(t *testing.T) {
	m := Mosquitto(t)
	if !strings.HasPrefix(m.URL, "tcp://127.0.0.1:") || m.URL != "tcp://"+m.Addr {
		t.Fatalf("URL %q, Addr %q", m.URL, m.Addr)
	}
	if err := mqttConnect(m.Addr); err != nil {
		t.Fatalf("first run: %v", err)
	}

	m.Stop()
	if c, err := net.DialTimeout("tcp", m.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", m.Addr)
	}
	m.Stop() // stopping a stopped service is harmless

	m.Start()
	if err := mqttConnect(m.Addr); err != nil {
		t.Fatalf("after restart on the same address: %v", err)
	}

	// The broker logs to its file in the test's directory.
	log, err := os.ReadFile(filepath.Join(m.d.dir, "mosquitto.log"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(log), "New client connected"); got != 2 {
		t.Errorf("log shows %d connections, want 2:\n%s", got, log)
	}
}

func TestInfluxDBWriteQueryRestart(t *testing.T) {
	x := InfluxDB(t)
	if x.Token != "user:pass" || x.Bucket != "db/rp" || x.Org != "" || x.Database != "db" {
		t.Fatalf("Influx = %+v", x)
	}

	write := func(line string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, x.URL+"/write?db=db&rp=rp&precision=ms", strings.NewReader(line))
		req.SetBasicAuth("user", "pass")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("write %q: %s", line, resp.Status)
		}
	}
	write("m,device=a v=1.5,ok=true 1700000000123")
	write("m,device=b v=2 1700000000456")

	if n := x.Count(t, "m"); n != 2 {
		t.Fatalf("Count = %d, want 2", n)
	}
	if n := x.Count(t, "nothing_here"); n != 0 {
		t.Fatalf("Count of a missing measurement = %d, want 0", n)
	}
	s := x.Query(t, `SELECT v, ok FROM m WHERE device = 'a'`)
	if len(s) != 1 || len(s[0].Values) != 1 {
		t.Fatalf("series = %+v", s)
	}
	row := s[0].Rows()[0]
	if row["time"] != float64(1700000000123) || row["v"] != 1.5 || row["ok"] != true {
		t.Fatalf("row = %v", row)
	}
	if g := x.Query(t, `SELECT v FROM m GROUP BY device`); len(g) != 2 || g[0].Tags["device"] != "a" || g[1].Tags["device"] != "b" {
		t.Fatalf("GROUP BY device = %+v", g)
	}

	// Flux is on, through the 1.8 compatibility API, with the token.
	fluxReq, _ := http.NewRequest(http.MethodPost, x.URL+"/api/v2/query",
		strings.NewReader(`from(bucket: "db/rp") |> range(start: 0) |> filter(fn: (r) => r._field == "v") |> count()`))
	fluxReq.Header.Set("Authorization", "Token "+x.Token)
	fluxReq.Header.Set("Content-Type", "application/vnd.flux")
	fluxResp, err := http.DefaultClient.Do(fluxReq)
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(fluxResp.Body)
	fluxResp.Body.Close()
	if fluxResp.StatusCode != http.StatusOK || !strings.Contains(string(csv), "_value") {
		t.Fatalf("Flux query: %s\n%s", fluxResp.Status, csv)
	}

	// Authentication is on: no credentials, no answer.
	if _, err := x.query(t.Context(), "SHOW DATABASES", "", false); err == nil {
		t.Fatal("query without credentials succeeded; auth-enabled is not in force")
	}
	// Bad InfluxQL is an error, not an empty result.
	if _, err := x.TryQuery("SELEKT nothing"); err == nil {
		t.Fatal("TryQuery of bad InfluxQL gave no error")
	}

	x.Stop()
	if _, err := x.TryQuery("SHOW MEASUREMENTS"); err == nil {
		t.Fatal("query succeeded while influxd was stopped")
	}
	x.Start()
	if n := x.Count(t, "m"); n != 2 {
		t.Fatalf("after restart Count = %d, want 2 (data kept)", n)
	}
	write("m,device=c v=3 1700000000789")
	if n := x.Count(t, "m"); n != 3 {
		t.Fatalf("after restart and write Count = %d, want 3", n)
	}
}

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "svc")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		candidates []string
		want       string // "" means an error
	}{
		{"first that exists", []string{filepath.Join(dir, "missing"), exe}, exe},
		{"empty candidates skipped", []string{"", exe}, exe},
		{"not executable", []string{plain}, ""},
		{"nothing found", []string{"", filepath.Join(dir, "missing"), "no-such-binary-gridwatch"}, ""},
		{"none given", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findBinary(tc.candidates...)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("found %q, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("findBinary = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the goroutine, to test the helpers' decisions.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper()                       {}
func (r *recorder) Skipf(f string, a ...any)      { r.skipped = fmt.Sprintf(f, a...) }
func (r *recorder) Fatalf(f string, a ...any)     { r.fatal = fmt.Sprintf(f, a...) }
func (r *recorder) Logf(string, ...any)           {}
func (r *recorder) Cleanup(func())                {}
func (r *recorder) Errorf(f string, a ...any)     { r.fatal = fmt.Sprintf(f, a...) }
func (r *recorder) Setenv(k, v string)            { r.TB.Setenv(k, v) }
func (r *recorder) failedOrSkipped() (bool, bool) { return r.fatal != "", r.skipped != "" }

func TestMissingBinarySkipsOrFails(t *testing.T) {
	tests := []struct {
		require  string
		wantFail bool
	}{
		{"1", true},
		{"", false},
		{"0", false},
	}
	for _, tc := range tests {
		t.Run("require="+tc.require, func(t *testing.T) {
			t.Setenv(requireEnv, tc.require)
			r := &recorder{TB: t}
			got := binaryOrSkip(r, "widget", "install widgets", "/nonexistent/widget")
			failed, skipped := r.failedOrSkipped()
			if got != "" || failed != tc.wantFail || skipped == tc.wantFail {
				t.Fatalf("got %q, fatal %q, skipped %q", got, r.fatal, r.skipped)
			}
			msg := r.fatal + r.skipped
			for _, want := range []string{"widget", "/nonexistent/widget", "install widgets", requireEnv} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestEventually(t *testing.T) {
	n := 0
	Eventually(t, 10*time.Second, "counter reaches 3", func() bool { n++; return n >= 3 })
	if n != 3 {
		t.Fatalf("cond called %d times, want 3", n)
	}

	r := &recorder{TB: t}
	Eventually(r, 50*time.Millisecond, "never", func() bool { return false })
	if !strings.Contains(r.fatal, "never") {
		t.Fatalf("Eventually of a false condition did not fail: %q", r.fatal)
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("moduleRoot = %q without go.mod: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testsvc")); err != nil {
		t.Fatalf("moduleRoot = %q is not this module's root: %v", root, err)
	}
}
