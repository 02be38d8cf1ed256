package videorec

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/gridwatch/gridwatch/drivers/h264"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// encode has ffmpeg (libx264) make seconds of its 320×240 test pattern at
// fps with a keyframe every gop frames, and splits it into access units
// (x264 puts an access unit delimiter in front of each).
func encode(t testing.TB, seconds, fps, gop int) [][]byte {
	t.Helper()
	return encodeSize(t, "320x240", seconds, fps, gop)
}

// encodeSize is encode at another picture size.
func encodeSize(t testing.TB, size string, seconds, fps, gop int) [][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "clip.h264")
	cmd := exec.Command(testsvc.FFmpeg(t), "-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi",
		"-i", "testsrc=size="+size+":rate="+strconv.Itoa(fps), "-t", strconv.Itoa(seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", strconv.Itoa(gop), "-pix_fmt", "yuv420p",
		"-x264-params", "aud=1", "-f", "h264", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	aud := []byte{0, 0, 0, 1, 0x09}
	var aus [][]byte
	for len(raw) > 0 {
		i := bytes.Index(raw[1:], aud)
		if i < 0 {
			aus = append(aus, raw)
			break
		}
		aus = append(aus, raw[:i+1])
		raw = raw[i+1:]
	}
	if len(aus) != seconds*fps {
		t.Fatalf("ffmpeg gave %d access units, want %d", len(aus), seconds*fps)
	}
	return aus
}

// camera plays encoded access units as RTP packets (pion's payloader)
// through a depacketizer into a recorder, on a clock the test moves.
type camera struct {
	t    testing.TB
	aus  [][]byte
	fps  int
	pay  codecs.H264Payloader
	dep  *h264.Depacketizer
	rec  *Recorder
	ssrc uint32
	seq  uint16
	ts   uint32
	i    int       // next access unit
	at   time.Time // arrival of the next frame
}

func newCamera(t testing.TB, rec *Recorder, aus [][]byte, fps int, start time.Time) *camera {
	c := &camera{t: t, aus: aus, fps: fps, rec: rec, ssrc: 0x51, seq: 65000, ts: 4000000000, at: start}
	c.dep = h264.New(h264.Config{}, func(au h264.AccessUnit) { rec.AccessUnit(au, c.at) })
	return c
}

// frame sends the next access unit (looping over the clip, keyframes and
// all) and advances the camera's clock by one frame.
func (c *camera) frame() {
	au := c.aus[c.i%len(c.aus)]
	pls := c.pay.Payload(1200, au)
	for j, pl := range pls {
		h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: c.seq, Timestamp: c.ts, SSRC: c.ssrc, Marker: j == len(pls)-1}
		c.dep.Packet(&h, pl)
		c.seq++
	}
	if c.dep.Codec() != h264.CodecUnknown {
		c.rec.Codec(c.dep.Codec())
	}
	c.ts += uint32(90000 / c.fps)
	c.i++
	c.at = c.at.Add(time.Second / time.Duration(c.fps))
}

// restart is the camera rebooting: a new SSRC and numbering, resuming at
// access unit i of the clip (mid-GOP if i is not a keyframe's).
func (c *camera) restart(i int) {
	c.ssrc++
	c.seq, c.ts = c.seq*7+13, c.ts*3+1
	c.i = i
}
