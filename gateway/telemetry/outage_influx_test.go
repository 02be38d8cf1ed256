package telemetry

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// The outage test of issue 6: telemetry streams at a steady rate while
// influxd is stopped for a minute (a few seconds with -short); one stream's
// gateway is killed with SIGKILL halfway through the outage and started
// again on the same spool. Once both are back, InfluxDB must hold every
// point exactly once.

// childEnv marks the test binary run as the gateway to be killed.
const childEnv = "GRIDWATCH_OUTAGE_CHILD"

// streamRate is the steady rate of each stream.
const streamEvery = 20 * time.Millisecond

// TestOutageChild is not a test: it is the gateway process the outage
// test kills. It streams seqSample points of one device into a spooled
// writer, fsyncs the spool after each one and then prints its number, so
// the parent knows which points were durable when it killed it.
func TestOutageChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("run by TestOutageExactlyOnce only")
	}
	w, err := New(Config{URL: os.Getenv("CHILD_URL"), Token: os.Getenv("CHILD_TOKEN"), Bucket: os.Getenv("CHILD_BUCKET"),
		Site: "lianhua", SpoolDir: os.Getenv("CHILD_DIR"), BatchSize: 50, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // the parent kills it long before
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	dev := &registry.Device{ID: os.Getenv("CHILD_DEVICE"), Kind: registry.Lightbox, Grid: "lh-g4-07"}
	for i := 0; ctx.Err() == nil; i++ {
		w.Write(seqSample(dev, i), dev, nil)
		if err := w.sp.Flush(); err != nil {
			t.Fatal(err)
		}
		fmt.Println(i)
		time.Sleep(streamEvery)
	}
}

// stream writes points from..., one per streamEvery, until stop is closed,
// and returns the number after the last one written.
func stream(w *Writer, dev *registry.Device, from int, stop <-chan struct{}) int {
	for i := from; ; i++ {
		select {
		case <-stop:
			return i
		default:
		}
		w.Write(seqSample(dev, i), dev, nil)
		if i%10 == 0 {
			_ = w.WriteEvent(event.Event{ID: uint64(i), Device: dev.ID, Type: event.ButtonPressed, TS: seqSample(dev, i).TS, Seq: int64(i)}, dev, nil)
		}
		time.Sleep(streamEvery)
	}
}

func TestOutageExactlyOnce(t *testing.T) {
	outage := 60 * time.Second
	if testing.Short() {
		outage = 6 * time.Second
	}
	x := testsvc.InfluxDB(t)
	devA := &registry.Device{ID: "lb-0700", Kind: registry.Lightbox, Grid: "lh-g4-07"}
	devB := &registry.Device{ID: "lb-0701", Kind: registry.Lightbox, Grid: "lh-g4-07"}

	// Stream A: one writer through the whole outage.
	hA := influxHarness(t, x, Config{SpoolDir: t.TempDir(), BatchSize: 50})
	stopRunA := hA.run(t)
	defer stopRunA()
	stopA, doneA := make(chan struct{}), make(chan int, 1)
	go func() { doneA <- stream(hA.w, devA, 0, stopA) }()

	// Stream B: a gateway process, killed during the outage.
	dirB := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestOutageChild$", "-test.v=false")
	child.Env = append(os.Environ(), childEnv+"=1", "CHILD_URL="+x.URL, "CHILD_TOKEN="+x.Token,
		"CHILD_BUCKET="+x.Bucket, "CHILD_DIR="+dirB, "CHILD_DEVICE="+devB.ID)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var durable atomic.Int64 // points 0..durable-1 of B are fsync'd
	var reader sync.WaitGroup
	reader.Go(func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if n, err := strconv.Atoi(sc.Text()); err == nil {
				durable.Store(int64(n) + 1)
			}
		}
	})
	killed := false
	defer func() {
		if !killed {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	}()

	testsvc.Eventually(t, patience, "both streams stored while InfluxDB is up", func() bool {
		return hA.points(t, "written") >= 50 && len(rowsOf(t, x, devB.ID)) >= 50
	})
	x.Stop()
	t.Logf("influxd stopped for %v", outage)
	time.Sleep(outage / 2)

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	killed = true
	reader.Wait()
	d := int(durable.Load())
	t.Logf("gateway B killed with SIGKILL; points 0..%d were durable", d-1)

	hB := influxHarness(t, x, Config{SpoolDir: dirB, BatchSize: 50})
	stopRunB := hB.run(t)
	defer stopRunB()
	stopB, doneB := make(chan struct{}), make(chan int, 1)
	go func() { doneB <- stream(hB.w, devB, d+1, stopB) }() // point d may or may not have been durable
	time.Sleep(outage - outage/2)
	x.Start()
	time.Sleep(2 * time.Second)
	close(stopA)
	close(stopB)
	nA, nB := <-doneA, <-doneB

	testsvc.Eventually(t, patience, "stream A written", func() bool { return hA.points(t, "written") >= nA+(nA+9)/10 })
	testsvc.Eventually(t, patience, "stream B stored", func() bool { return len(rowsOf(t, x, devB.ID)) >= nB-1 })

	exactlyOnce(t, x, devA.ID, nA)
	events := 0
	for _, s := range x.Query(t, fmt.Sprintf(`SELECT * FROM %s WHERE device = '%s'`, EventMeasurement, devA.ID)) {
		events += len(s.Values)
	}
	if want := (nA + 9) / 10; events != want {
		t.Errorf("InfluxDB holds %d events of %s, want %d", events, devA.ID, want)
	}
	if dr, fl := hA.points(t, "dropped"), hA.points(t, "failed"); dr != 0 || fl != 0 {
		t.Errorf("stream A dropped/failed = %d/%d, want 0/0", dr, fl)
	}

	seen := map[int]int{}
	for _, r := range rowsOf(t, x, devB.ID) {
		seen[int(r["seq"].(float64))]++
	}
	for i := range nB {
		switch n := seen[i]; {
		case i == d && n > 1:
			t.Errorf("point %d of %s (in flight at the kill) stored %d times", i, devB.ID, n)
		case i != d && n != 1:
			t.Errorf("point %d of %s stored %d times, want once", i, devB.ID, n)
		}
	}
	t.Logf("stream A: %d points, %d events; stream B: %d points, killed at %d", nA, events, nB, d)
}
