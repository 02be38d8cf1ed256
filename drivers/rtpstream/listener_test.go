package rtpstream_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

func send(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func rtpPacket(t *testing.T, seq uint16) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3600,
		SSRC: 42, Marker: true}, Payload: make([]byte, 200)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestListenerOverUDP sends good and bad datagrams over a real socket,
// checks what the metrics say (and that they lint clean), and that
// stopping frees the port.
func TestListenerOverUDP(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	l, err := rtpstream.New(rtpstream.Config{Device: "cam-0009", Listen: "127.0.0.1:0"}, &recorder{},
		rtpstream.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rtpstream.New(rtpstream.Config{Device: "cam-0009", Listen: "127.0.0.1:0"}, &recorder{},
		rtpstream.Options{Registerer: reg}); err == nil {
		t.Error("a second listener for the same device registered its metrics again")
	}
	run(t, l)
	c, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, seq := range []uint16{1, 2, 3, 5, 5} { // 4 lost, 5 twice
		send(t, c, rtpPacket(t, seq))
	}
	send(t, c, []byte("GET / HTTP/1.1\r\n\r\n")) // not RTP v2
	send(t, c, []byte{0x80, 96, 0})              // short
	send(t, c, rtpPacket(t, 6))                  // still taken after the noise
	testsvc.Eventually(t, 10*time.Second, "6 datagrams filed", func() bool { return l.Status().Received == 5 && l.Status().MalformedTotal() == 2 })

	want := `
# HELP gridwatch_rtp_duplicate_packets_total Duplicate RTP packets dropped.
# TYPE gridwatch_rtp_duplicate_packets_total counter
gridwatch_rtp_duplicate_packets_total{device="cam-0009"} 1
# HELP gridwatch_rtp_lost_packets_total RTP packets lost by sequence number (RFC 3550 expected minus received), never decreasing.
# TYPE gridwatch_rtp_lost_packets_total counter
gridwatch_rtp_lost_packets_total{device="cam-0009"} 1
# HELP gridwatch_rtp_malformed_total Datagrams on the camera's RTP port dropped as malformed, by reason.
# TYPE gridwatch_rtp_malformed_total counter
gridwatch_rtp_malformed_total{device="cam-0009",reason="padding"} 0
gridwatch_rtp_malformed_total{device="cam-0009",reason="short"} 1
gridwatch_rtp_malformed_total{device="cam-0009",reason="truncated"} 0
gridwatch_rtp_malformed_total{device="cam-0009",reason="version"} 1
# HELP gridwatch_rtp_packets_total Distinct RTP packets received from the camera (duplicates not counted).
# TYPE gridwatch_rtp_packets_total counter
gridwatch_rtp_packets_total{device="cam-0009"} 5
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gridwatch_rtp_packets_total",
		"gridwatch_rtp_lost_packets_total", "gridwatch_rtp_duplicate_packets_total", "gridwatch_rtp_malformed_total"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 27 { // 18 of the stream, 9 of the video (no codec_info before the codec is known)
		t.Errorf("%d series (%v), want 27", n, err)
	}
}

func TestStopClosesTheSocket(t *testing.T) {
	l, err := rtpstream.New(rtpstream.Config{Device: "cam-0001", Listen: "127.0.0.1:0"}, &recorder{}, rtpstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := func() string {
		var a string
		t.Run("run", func(t *testing.T) { run(t, l); a = l.Addr().String() }) // the subtest's cleanup stops it
		return a
	}()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("port %s still taken after Run returned: %v", addr, err)
	}
	pc.Close()
}

func TestConfigProblemsAllAtOnce(t *testing.T) {
	err := rtpstream.Config{Listen: "nope", ClockRate: 5, Thresholds: rtpstream.Thresholds{LossPct: 2, LossClearPct: 3}}.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"device: required", `listen "nope"`, "clock_rate 5", "loss_clear_pct 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestBusyPortIsRetried: a port taken by someone else is logged and tried
// again; once free, the listener binds it. Run does not fail meanwhile.
func TestBusyPortIsRetried(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := busy.LocalAddr().String()
	logs := &testlog.Buffer{}
	l, err := rtpstream.New(rtpstream.Config{Device: "cam-0002", Listen: addr}, &recorder{},
		rtpstream.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	testsvc.Eventually(t, 20*time.Second, "the failed bind logged", func() bool {
		return strings.Contains(logs.String(), "rtp listen failed")
	})
	busy.Close()
	select {
	case <-l.Ready():
	case err := <-done:
		t.Fatalf("Run returned %v instead of retrying", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("not bound within 20 s of the port coming free; log:\n%s", logs)
	}
	if got := l.Addr().String(); got != addr {
		t.Errorf("bound %s, want %s", got, addr)
	}
}
