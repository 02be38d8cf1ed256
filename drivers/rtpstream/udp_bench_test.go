package rtpstream

import (
	"context"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCameras32UDP is the real thing at real time: 32 listeners on
// loopback sockets (Run: socket reads, statistics, depacketising, rings)
// and one goroutine sending each its 2 Mbit/s bench stream, paced at
// 25 fps, for 35 s (the 30 s rings fill). It reports the process's CPU
// (getrusage, sender included: an upper bound for the gateway) as a
// share of one core, and the heap after GC and the process's resident
// memory. Run with -benchtime 1x.
func BenchmarkCameras32UDP(b *testing.B) {
	const cams, secs = 32, 35
	pkts, frameOf := benchGOP(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conns := make([]*net.UDPConn, cams)
	done := make(chan struct{}, cams)
	var ls []*benchCamera
	for i := range cams {
		c := newBenchCamera(b, i)
		c.l.now = time.Now
		go func() { _ = c.l.Run(ctx); done <- struct{}{} }()
		<-c.l.Ready()
		conn, err := net.DialUDP("udp", nil, c.l.Addr().(*net.UDPAddr))
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = conn
		ls = append(ls, c)
	}
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	b.ResetTimer()
	for b.Loop() {
		tick := time.NewTicker(time.Second / benchFPS)
		first := 0
		for f := 0; f < secs*benchFPS; f++ {
			frame := f % benchFPS
			end := first
			for end < len(pkts) && frameOf[end] == frame {
				end++
			}
			for i, c := range ls {
				for _, p := range pkts[first:end] {
					p[2], p[3] = byte(c.seq>>8), byte(c.seq)
					ts := c.ts + uint32(frame)*90000/benchFPS
					p[4], p[5], p[6], p[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
					p[8], p[9], p[10], p[11] = byte(c.ssrc>>24), byte(c.ssrc>>16), byte(c.ssrc>>8), byte(c.ssrc)
					if _, err := conns[i].Write(p); err != nil {
						b.Fatal(err)
					}
					c.seq++
				}
				if frame == benchFPS-1 {
					c.ts += 90000
				}
			}
			first = end % len(pkts)
			<-tick.C
		}
		tick.Stop()
	}
	b.StopTimer()
	wall := time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	var lost, received, dropped int64
	for _, c := range ls {
		st := c.l.Status()
		lost += st.Lost
		received += st.Received
		dropped += st.Video.DroppedUnits
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms) // the rings are full
	runtime.KeepAlive(ls)
	cancel()
	for range cams {
		<-done
	}
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%core")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(rssMiB(), "rss-MiB")
	b.ReportMetric(float64(received)/wall.Seconds(), "pkts/s")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(dropped), "dropped-pictures")
}

// rssMiB is the process's resident memory (VmRSS), 0 where /proc has none.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
