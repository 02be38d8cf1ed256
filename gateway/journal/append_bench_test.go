package journal

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkAppendParallel appends from 16 goroutines per CPU, as many MQTT
// clients do, and reports how many fsyncs each append cost. Run it on the
// disk the gateway uses (TMPDIR): on tmpfs an fsync costs nothing.
func BenchmarkAppendParallel(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchAppend(b, Options{}) })
	// As the gateway opens it: 8 MiB headroom, IDs reserved in blocks.
	b.Run("headroom+reserve", func(b *testing.B) {
		benchAppend(b, Options{Headroom: 8 << 20, Reserve: func(uint64) error { return nil }})
	})
}

func benchAppend(b *testing.B, opts Options) {
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	j, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	fsyncs := func() float64 { return metric(b, reg, "gridwatch_journal_fsyncs_total") }
	start := fsyncs()
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			ev := sample(i)
			i++
			if err := j.Append(b.Context(), &ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric((fsyncs()-start)/float64(b.N), "fsyncs/op")
}
