package rtpstream

import (
	"slices"
	"testing"
	"time"
)

func TestHealthySteadyStreamRaisesNothing(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	f := newFeeder(t, m)
	f.run(30 * time.Second)
	if got := f.types(); len(got) != 0 {
		t.Errorf("events for a clean stream: %v", got)
	}
	st := m.status("cam-0001", f.now)
	if st.State != StateUp {
		t.Errorf("state %s, want up", st.State)
	}
	// 25 fps × 4 packets of 1012 bytes = 809.6 kbit/s.
	if st.FPS < 24 || st.FPS > 26 {
		t.Errorf("fps %.2f, want ≈25", st.FPS)
	}
	if st.BitrateBPS < 780e3 || st.BitrateBPS > 840e3 {
		t.Errorf("bitrate %.0f bit/s, want ≈809600", st.BitrateBPS)
	}
	if st.Lost != 0 || st.LossPct != 0 {
		t.Errorf("lost %d (%.2f %%), want none", st.Lost, st.LossPct)
	}
}

func TestLossDegradesOnceAndRestores(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	f := newFeeder(t, m)
	f.run(12 * time.Second)
	f.drop = func(n int) bool { return n%20 == 0 } // 5 %
	f.run(20 * time.Second)
	if got, want := f.types(), []string{"stream.degraded:loss"}; !slices.Equal(got, want) {
		t.Fatalf("events under 5 %% loss: %v, want %v", got, want)
	}
	if st := m.status("cam-0001", f.now); st.State != StateDegraded || st.LossPct < 4 || st.LossPct > 6 {
		t.Errorf("state %s loss %.2f %%, want degraded ≈5 %%", st.State, st.LossPct)
	}
	f.drop = nil
	// The window's loss falls under 1 % once under 2 s of the lossy
	// stream is left in it (8 s), then the 5 s hold must pass: ≈13 s.
	f.run(12 * time.Second)
	if got := f.types(); len(got) != 0 {
		t.Fatalf("restored too early: %v", got)
	}
	f.run(3 * time.Second)
	if got, want := f.types(), []string{"stream.restored"}; !slices.Equal(got, want) {
		t.Fatalf("events after loss stopped: %v, want %v", got, want)
	}
}

// TestNoFlappingOnTheThreshold drives the judge with windows whose loss
// hovers around 2 %: one degraded event, and no restore until it is
// clearly healthy for the hold time.
func TestNoFlappingOnTheThreshold(t *testing.T) {
	j := newJudge(testConfig().Thresholds)
	now := t0
	var got []string
	step := func(loss float64, jitter time.Duration) {
		now = now.Add(time.Second)
		for _, v := range j.step(now, window{heard: true, lossPct: loss, lossJudged: true, expected: 250, jitter: jitter}) {
			got = append(got, v.typ+":"+v.reason+v.after)
		}
	}
	for i := 0; i < 20; i++ {
		step(1.9, 0) // just under: never degrades
	}
	if len(got) != 0 {
		t.Fatalf("1.9 %% loss raised %v", got)
	}
	for i := 0; i < 40; i++ { // 2.1, 1.9, 2.1, … and 1.5: still not clear (< 1 %)
		l := []float64{2.1, 1.9, 1.5}[i%3]
		step(l, 0)
	}
	if want := []string{"stream.degraded:loss"}; !slices.Equal(got, want) {
		t.Fatalf("hovering loss: %v, want %v", got, want)
	}
	got = nil
	for i := 0; i < 4; i++ {
		step(0.5, 0) // clear, but not for 5 s yet
	}
	step(1.5, 0)             // a relapse restarts the hold
	for i := 0; i < 5; i++ { // good from +0 s to +4 s
		step(0.5, 0)
	}
	if len(got) != 0 {
		t.Fatalf("restored before a full hold: %v", got)
	}
	step(0.5, 0) // +5 s: the hold is over
	if want := []string{"stream.restored:loss"}; !slices.Equal(got, want) {
		t.Fatalf("after a full hold: %v, want %v", got, want)
	}
	got = nil
	// Jitter: above 50 ms degrades; 40 ms (above the 30 ms clear level)
	// does not restore.
	step(0, 49*time.Millisecond)
	step(0, 51*time.Millisecond)
	for i := 0; i < 10; i++ {
		step(0, []time.Duration{40, 55, 45}[i%3]*time.Millisecond)
	}
	for i := 0; i < 6; i++ {
		step(0, 20*time.Millisecond)
	}
	if want := []string{"stream.degraded:jitter", "stream.restored:jitter"}; !slices.Equal(got, want) {
		t.Fatalf("jitter: %v, want %v", got, want)
	}
}

func TestLossIsNotJudgedOnATrickle(t *testing.T) {
	j := newJudge(testConfig().Thresholds)
	// 30 % of 20 packets: too few to say anything.
	if v := j.step(t0, window{heard: true, lossPct: 30, lossJudged: false, expected: 20}); len(v) != 0 {
		t.Errorf("a trickle raised %v", v)
	}
}

func TestSilenceIsVideoLossThenRestored(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	f := newFeeder(t, m)
	f.run(12 * time.Second)
	f.idle(4 * time.Second)
	if got := f.types(); len(got) != 0 {
		t.Fatalf("4 s of silence raised %v (threshold 5 s)", got)
	}
	f.idle(30 * time.Second)
	if got, want := f.types(), []string{"video.loss:no_packets", "stream.degraded:no_packets"}; !slices.Equal(got, want) {
		t.Fatalf("silence: %v, want %v", got, want)
	}
	if st := m.status("cam-0001", f.now); st.State != StateLost || st.Age < 30*time.Second {
		t.Errorf("state %s age %v, want lost, ≥30 s", st.State, st.Age)
	}
	// The camera comes back after a reboot: new SSRC, new numbering.
	f.ssrc, f.seq = 0xbeef, 40000
	f.run(4 * time.Second)
	if got := f.types(); len(got) != 0 {
		t.Fatalf("restored before the hold: %v", got)
	}
	f.run(3 * time.Second)
	if got, want := f.types(), []string{"stream.restored"}; !slices.Equal(got, want) {
		t.Fatalf("after the camera came back: %v, want %v", got, want)
	}
	if st := m.status("cam-0001", f.now); st.Lost != 0 || st.SSRCChanges != 1 || st.State != StateUp {
		t.Errorf("lost %d ssrc changes %d state %s, want 0, 1, up", st.Lost, st.SSRCChanges, st.State)
	}
}

func TestSilentFromTheStart(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	f := newFeeder(t, m)
	f.idle(4 * time.Second)
	if got := f.types(); len(got) != 0 {
		t.Fatalf("raised %v before the silence threshold", got)
	}
	f.idle(20 * time.Second)
	if got, want := f.types(), []string{"video.loss:no_packets", "stream.degraded:no_packets"}; !slices.Equal(got, want) {
		t.Fatalf("a camera that never sent: %v, want %v", got, want)
	}
}

func TestLossWhileDegradedThenSilence(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	f := newFeeder(t, m)
	f.run(11 * time.Second)
	f.drop = func(n int) bool { return n%10 == 0 }
	f.run(11 * time.Second)
	f.idle(10 * time.Second)
	// Already degraded: the silence adds video.loss only, no second
	// stream.degraded for the same open alarm.
	if got, want := f.types(), []string{"stream.degraded:loss", "video.loss:no_packets"}; !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}
