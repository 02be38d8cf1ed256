package rtsp_test

import (
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// kernelStamped is a UDP socket on loopback that reads each datagram with
// the time the kernel received it (SO_TIMESTAMPNS): a reader held up by
// a busy machine still sees when the packets came.
func kernelStamped(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		t.Fatalf("SO_TIMESTAMPNS: %v %v", err, serr)
	}
	return c
}

// readStamped reads one datagram into buf and returns its size and the
// kernel's receive time.
func readStamped(t *testing.T, c *net.UDPConn, buf []byte) (int, time.Time) {
	t.Helper()
	oob := make([]byte, 128)
	n, oobn, _, _, err := c.ReadMsgUDP(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
			return n, time.Unix(ts.Unix())
		}
	}
	t.Fatal("no kernel timestamp on the datagram")
	return 0, time.Time{}
}

// TestInteropPacedFromTheStart: the camera's first second reaches the
// listener over about a second, as the camera sent it, not at once.
// ffmpeg used to hold back the first ~20 pictures to estimate the frame
// rate (which -c copy does not need) and then send them in a burst of a
// few milliseconds, at every (re)connect: the listener saw a jitter spike
// and the ring stamped a second of video with one arrival time. Arrival is
// the kernel's receive time of each packet.
func TestInteropPacedFromTheStart(t *testing.T) {
	sink := kernelStamped(t)
	pullInto(t, "cam-0009", sink.LocalAddr())

	// When each of the first pictures (25: a second of video) was
	// complete.
	const pictures = 25
	_ = sink.SetReadDeadline(time.Now().Add(60 * time.Second))
	ends := pictureEnds(t, pictures, func(buf []byte) (int, time.Time) { return readStamped(t, sink, buf) })
	var at []time.Time
	for _, e := range ends {
		at = append(at, e.at)
	}
	// 24 frame times are 960 ms; a bursting start took a few ms. A busy
	// machine could bunch some of them up, never spread them out: the
	// bound is a quarter of real time.
	if span := at[len(at)-1].Sub(at[0]); span < 240*time.Millisecond {
		t.Errorf("the first %d pictures (%v of video) arrived within %v: a burst, not a camera's pace", pictures, 960*time.Millisecond, span)
	} else {
		t.Logf("the first %d pictures arrived over %v", pictures, span.Round(time.Millisecond))
	}
}
