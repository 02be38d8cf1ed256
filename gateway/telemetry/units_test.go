package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/influxdata/influxdb-client-go/v2/api/write"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestConfigValidate(t *testing.T) {
	good := Config{URL: "http://127.0.0.1:8086", Bucket: "db/rp", Site: "lianhua"}
	tests := []struct {
		name  string
		edit  func(*Config)
		wants []string // substrings of the error; none means valid
	}{
		{"good", func(*Config) {}, nil},
		{"https", func(c *Config) { c.URL = "https://influx.example:8086" }, nil},
		{"no url", func(c *Config) { c.URL = "" }, []string{"url: empty"}},
		{"bad scheme", func(c *Config) { c.URL = "tcp://127.0.0.1:8086" }, []string{"url", "scheme must be http or https"}},
		{"no host", func(c *Config) { c.URL = "http://" }, []string{"url", "no host"}},
		{"unparsable url", func(c *Config) { c.URL = "http://[::1" }, []string{"url"}},
		{"no bucket", func(c *Config) { c.Bucket = "" }, []string{"bucket: empty"}},
		{"no site", func(c *Config) { c.Site = "" }, []string{"site: empty"}},
		{"negative queue", func(c *Config) { c.Queue = -1 }, []string{"queue: -1 is out of range"}},
		{"huge queue", func(c *Config) { c.Queue = MaxQueue + 1 }, []string{"queue: 1000001 is out of range"}},
		{"largest queue", func(c *Config) { c.Queue = MaxQueue }, nil},
		{"huge batch", func(c *Config) { c.BatchSize = MaxBatchSize + 1 }, []string{"batch_size: 100001 is over 100000"}},
		{"negative flush", func(c *Config) { c.FlushInterval = -time.Second }, []string{"flush_interval: -1s is negative"}},
		{"negative close", func(c *Config) { c.CloseTimeout = -time.Second }, []string{"close_timeout: -1s is negative"}},
		{"every problem at once", func(c *Config) { *c = Config{Queue: -5} }, []string{"url: empty", "bucket: empty", "site: empty", "queue: -5 is out of range"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			err := c.Validate()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate: no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, nerr := New(c); nerr == nil {
				t.Error("New accepted a config Validate rejects")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := Config{URL: "http://x:1", Bucket: "b", Site: "s"}.withDefaults()
	if c.Queue != DefaultQueue || c.BatchSize != DefaultBatchSize || c.FlushInterval != DefaultFlushInterval ||
		c.CloseTimeout != DefaultCloseTimeout || c.Logger == nil {
		t.Fatalf("defaults not applied: %+v", c)
	}
	c = Config{Queue: 7, BatchSize: 3, FlushInterval: time.Minute, CloseTimeout: time.Hour}.withDefaults()
	if c.Queue != 7 || c.BatchSize != 3 || c.FlushInterval != time.Minute || c.CloseTimeout != time.Hour {
		t.Fatalf("set values overwritten: %+v", c)
	}
}

func TestMetricsRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := Config{URL: "http://127.0.0.1:1", Bucket: "db", Site: "s", Registerer: reg}
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range fams {
		got[f.GetName()] = len(f.GetMetric())
	}
	if got["gridwatch_telemetry_points_total"] != 3 || got["gridwatch_telemetry_queue_depth"] != 1 {
		t.Fatalf("registered metrics = %v, want points_total with 3 outcomes and queue_depth", got)
	}
	// A second writer on the same registry is a clear error, not a panic.
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "register metrics") {
		t.Fatalf("second New on one registry: %v", err)
	}
	// Without a registerer it works, unexported.
	cfg.Registerer = nil
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestFieldsOf(t *testing.T) {
	in := map[string]any{
		"battery_v": 12.4, "mains": true, "fw": "1.2.3",
		"count": 7, "u8": uint8(3), "f32": float32(1.5), "num": json.Number("31.5"),
		"nan": math.NaN(), "inf": math.Inf(1), "nested": map[string]any{"a": 1.0}, "list": []any{1.0},
		"nil": nil, "": 1.0, "time": 5.0, "badnum": json.Number("x"),
	}
	want := map[string]any{"battery_v": 12.4, "mains": true, "fw": "1.2.3", "count": 7.0, "u8": 3.0, "f32": 1.5, "num": 31.5}
	got := fieldsOf(in)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fieldsOf =\n %v\nwant\n %v", got, want)
	}
}

// lineOf renders a point as line protocol with millisecond precision.
func lineOf(p *write.Point) string {
	return strings.TrimSpace(write.PointToLineProtocol(p, time.Millisecond))
}

func TestPoint(t *testing.T) {
	dev, grid := lightbox()
	now := time.UnixMilli(1_700_000_000_999)
	tests := []struct {
		name string
		s    sample
		want string // line protocol; "" means no point
	}{
		{"all tags", sample{tel: tel(1_700_000_000_123, 12.5), device: dev.ID, grid: grid.ID, kind: string(dev.Kind)},
			`device_telemetry,device=lb-0001,grid=lh-g4-07,kind=lightbox,site=lianhua battery_v=12.5,mains=true 1700000000123`},
		{"unknown device: empty tags left out", sample{tel: event.Telemetry{Device: "x-1", TS: 5, Fields: map[string]any{"v": "ok"}}, device: "x-1"},
			`device_telemetry,device=x-1,site=lianhua v="ok" 5`},
		{"no device time: received time", sample{tel: event.Telemetry{Received: 77, Fields: map[string]any{"v": 1.0}}, device: "d"},
			`device_telemetry,device=d,site=lianhua v=1 77`},
		{"no time at all: now", sample{tel: event.Telemetry{Fields: map[string]any{"v": 1.0}}, device: "d"},
			`device_telemetry,device=d,site=lianhua v=1 1700000000999`},
		{"nothing storable", sample{tel: event.Telemetry{TS: 1, Fields: map[string]any{"v": math.NaN()}}, device: "d"}, ""},
		{"no fields", sample{tel: event.Telemetry{TS: 1}, device: "d"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := point("lianhua", tc.s, now)
			if tc.want == "" {
				if ok {
					t.Fatalf("got point %s, want none", lineOf(p))
				}
				return
			}
			if !ok {
				t.Fatal("no point")
			}
			if got := lineOf(p); got != tc.want {
				t.Fatalf("point\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err   error
		kind  string
		retry retry
		after time.Duration
	}{
		{http2.NewError(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), "unreachable", retryAlways, 0},
		{http2.NewError(fmt.Errorf("post: %w", context.DeadlineExceeded)), "timeout", retryLimited, 0},
		{&http2.Error{StatusCode: 400}, "rejected", retryNever, 0},
		{&http2.Error{StatusCode: 401}, "unauthorized", retryNever, 0},
		{&http2.Error{StatusCode: 403}, "unauthorized", retryNever, 0},
		{&http2.Error{StatusCode: 404}, "not_found", retryNever, 0},
		{&http2.Error{StatusCode: 413}, "too_large", retryNever, 0},
		{&http2.Error{StatusCode: 429, RetryAfter: 7}, "throttled", retryLimited, 7 * time.Second},
		{&http2.Error{StatusCode: 503, RetryAfter: 3600}, "server_error", retryLimited, retryAfterMax},
		{&http2.Error{StatusCode: 500}, "server_error", retryLimited, 0},
		{&http2.Error{StatusCode: 418}, "http_418", retryNever, 0},
		{errors.New("encoding: bad point"), "encode", retryNever, 0},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			f := classify(tc.err)
			if f.kind != tc.kind || f.retry != tc.retry || f.after != tc.after {
				t.Fatalf("classify(%v) = %+v, want %s/%d/%v", tc.err, f, tc.kind, tc.retry, tc.after)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := backoff(i+1, 0); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := backoff(1, 9*time.Second); got != 9*time.Second {
		t.Errorf("backoff with Retry-After 9s = %v", got)
	}
}

func TestRefused(t *testing.T) {
	tests := []struct {
		err  error
		n    int
		want int
	}{
		{&http2.Error{StatusCode: 400, Message: `partial write: field type conflict: ... dropped=2`}, 10, 2},
		{&http2.Error{StatusCode: 400, Message: `partial write: points beyond retention policy dropped=3 (more)`}, 10, 3},
		{&http2.Error{StatusCode: 400, Message: `partial write dropped=11`}, 10, 10}, // more than sent: all
		{&http2.Error{StatusCode: 400, Message: `unable to parse`}, 10, 10},
		{&http2.Error{StatusCode: 400, Message: `dropped=`}, 10, 10},
		{&http2.Error{StatusCode: 401, Message: `dropped=1`}, 10, 10},
		{errors.New("dropped=1"), 10, 10},
	}
	for _, tc := range tests {
		if got := refused(tc.err, tc.n); got != tc.want {
			t.Errorf("refused(%v, %d) = %d, want %d", tc.err, tc.n, got, tc.want)
		}
	}
}
