package rtsp_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/drivers/rtsp"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestInteropInjectedIntoThePulledPort: while ffmpeg pulls a camera into
// its loopback RTP listener, another local process sends pictures to the
// same port — with ffmpeg's own SSRC and with another. None of its
// packets is taken (all are counted as foreign), the stream keeps its one
// SSRC, and ffmpeg's pictures keep coming.
func TestInteropInjectedIntoThePulledPort(t *testing.T) {
	testsvc.FFmpeg(t)
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip})
	srv.Start()
	cam := startCamera(t, rtsp.Config{Device: "cam-0010", URL: srv.URL, Timeout: 3 * time.Second}, rtsp.Options{})
	testsvc.Eventually(t, 60*time.Second, "the pulled stream is up", func() bool {
		return cam.l.Status().State == rtpstream.StateUp
	})
	before := cam.l.Status()
	c, err := net.Dial("udp", cam.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const sent = 100
	for i := range uint16(sent) {
		ssrc := before.SSRC
		if i%2 == 1 {
			ssrc = 0xbad
		}
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: i, Timestamp: uint32(i) * 3600,
			SSRC: ssrc, Marker: true}, Payload: append([]byte{0x65}, make([]byte, 500)...)}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // amid ffmpeg's packets, as a sender would
	}
	testsvc.Eventually(t, 20*time.Second, "the injected packets counted", func() bool { return cam.l.Status().Foreign == sent })
	testsvc.Eventually(t, 20*time.Second, "ffmpeg's pictures still coming", func() bool {
		return cam.l.Status().Video.AccessUnits >= before.Video.AccessUnits+25
	})
	st := cam.l.Status()
	if st.SSRC != before.SSRC || st.SSRCChanges != before.SSRCChanges || st.State != rtpstream.StateUp {
		t.Errorf("ssrc %08x changes %d state %s, want %08x %d up", st.SSRC, st.SSRCChanges, st.State, before.SSRC, before.SSRCChanges)
	}
	if got := cam.log.String(); !strings.Contains(got, "rtp packet of a foreign source dropped") {
		t.Errorf("no log of the foreign source:\n%s", got)
	}
}
