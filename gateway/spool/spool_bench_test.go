package spool

import (
	"testing"
)

// BenchmarkAppend is the sustained append rate with Run syncing in the
// background: 200-byte records, about one line of line protocol. Run it
// on the disk the gateway uses (TMPDIR): on tmpfs an fsync costs nothing.
// A full buffer counts as a drop (reported as drops/op), as it would be in
// the gateway.
func BenchmarkAppend(b *testing.B) {
	x := open(b, b.TempDir(), Options{Buffer: 100000})
	ctx, cancel := contextWithCancel(b)
	done := make(chan error)
	go func() { done <- x.Run(ctx) }()
	r := make([]byte, 200)
	for i := range r {
		r[i] = 'a' + byte(i%26)
	}
	b.SetBytes(int64(len(r)))
	b.ReportAllocs()
	drops := 0
	for b.Loop() {
		if err := x.Append(r); err != nil {
			drops++
		}
	}
	b.StopTimer()
	cancel()
	<-done
	x.Close()
	b.ReportMetric(float64(b.N-drops)/b.Elapsed().Seconds(), "accepted/s")
	b.ReportMetric(float64(drops)/float64(b.N), "drops/op")
}

// BenchmarkAppendFlush appends and fsyncs in groups of 1000, the rate the
// disk sustains without drops.
func BenchmarkAppendFlush(b *testing.B) {
	x := open(b, b.TempDir(), Options{})
	r := make([]byte, 200)
	b.SetBytes(int64(len(r)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := x.Append(r); err != nil {
			b.Fatal(err)
		}
		if i++; i%1000 == 0 {
			if err := x.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	x.Close()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
