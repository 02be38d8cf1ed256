package engine

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func BenchmarkEvaluateNoMatch(b *testing.B) {
	e := builtin(b)
	ev := event.Event{Device: "rd-0001", Type: event.AccessGranted}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Evaluate(&ev, reader, testGrid)
	}
}

func BenchmarkEvaluatePanic(b *testing.B) {
	e := builtin(b)
	ev := event.Event{Device: "lb-0001", Type: event.ButtonPressed}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Evaluate(&ev, lightbox, testGrid)
	}
}
