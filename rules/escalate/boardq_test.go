package escalate

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// slowBoard is a Board whose Publish waits until open is closed, as the
// embedded broker's does while it stores a retained message.
type slowBoard struct {
	board
	open chan struct{}
}

func (b *slowBoard) Publish(a alarm.Alarm) {
	<-b.open
	b.board.Publish(a)
}

// TestSlowBoardHoldsUpNoPage: while the Board waits, presses are still
// paged at once; once it is free it is shown every update, in order.
func TestSlowBoardHoldsUpNoPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb := &slowBoard{open: make(chan struct{})}
		r := newRig(t, func(c *Config) { c.Board = sb })
		r.send("lb-0001", event.ButtonPressed)
		r.send("lb-0002", event.ButtonPressed)
		if got := staffOf(r.notes.take()); !reflect.DeepEqual(got, []string{"chen", "room1", "room1", "sun", "wang"}) {
			t.Fatalf("paged %v while the board waited, want both presses' step 0", got)
		}
		close(sb.open)
		synctest.Wait()
		var devices []string
		for _, a := range sb.take() {
			devices = append(devices, a.Device)
		}
		if !reflect.DeepEqual(devices, []string{"lb-0001", "lb-0002"}) {
			t.Fatalf("board shown %v, want each raise in order", devices)
		}
		r.stop()
	})
}

// resyncBoard is a Board that can be shown afresh (BoardResyncer).
type resyncBoard struct {
	board
	resyncs [][]alarm.Alarm
}

func (b *resyncBoard) Resync(open []alarm.Alarm) {
	b.mu.Lock()
	b.resyncs = append(b.resyncs, open)
	b.mu.Unlock()
}

func (b *resyncBoard) takeResyncs() [][]alarm.Alarm {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.resyncs
	b.resyncs = nil
	return s
}

// TestResyncBoardShowsOpenAlarmsAsTheyAre: after a restart, ResyncBoard
// gives the Board every alarm loaded open, as stored, and later every
// alarm open at the time, in its latest state (closed ones left out, so
// the board clears them); a Board without Resync gets Publish for each.
func TestResyncBoardShowsOpenAlarmsAsTheyAre(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		r := startRig(t, path, newNotifier(), &lastID)
		r.send("lb-0001", event.ButtonPressed)
		r.send("lb-0002", event.ButtonPressed)
		open, err := r.desk.List(alarm.Filter{})
		if err != nil || len(open) != 2 {
			t.Fatalf("open %d, %v; want 2", len(open), err)
		}
		acked, err := r.desk.Act(context.Background(), event.Action{AlarmID: open[0].ID, Kind: event.Ack, By: "room1"})
		if err != nil {
			t.Fatal(err)
		}
		r.stop()

		rb := &resyncBoard{}
		r = startRig(t, path, newNotifier(), &lastID, func(c *Config) { c.Board = rb })
		r.desk.ResyncBoard()
		synctest.Wait()
		// byID is a resync as id → state, failing unless there was one.
		byID := func(got [][]alarm.Alarm) map[string]alarm.State {
			t.Helper()
			if len(got) != 1 {
				t.Fatalf("%d resyncs, want 1", len(got))
			}
			m := map[string]alarm.State{}
			for _, a := range got[0] {
				m[a.ID] = a.State
			}
			return m
		}
		want := map[string]alarm.State{open[0].ID: acked.State, open[1].ID: alarm.Open}
		if got := byID(rb.takeResyncs()); !reflect.DeepEqual(got, want) {
			t.Fatalf("resync after restart: %v; want %v", got, want)
		}
		if _, err := r.desk.Act(context.Background(), event.Action{AlarmID: open[1].ID, Kind: event.Resolve, By: "room1"}); err != nil {
			t.Fatal(err)
		}
		again := r.send(open[1].Device, event.ButtonPressed)
		r.desk.ResyncBoard()
		synctest.Wait()
		got := byID(rb.takeResyncs())
		if len(got) != 2 || got[open[0].ID] != acked.State || got[open[1].ID] != "" {
			t.Fatalf("resync: %v; want the acked alarm and the new one of event %d, not the resolved one", got, again.ID)
		}
		r.stop()

		plain := &board{}
		r = startRig(t, path, newNotifier(), &lastID, func(c *Config) { c.Board = plain })
		defer r.stop()
		r.desk.ResyncBoard()
		synctest.Wait()
		var ids []string
		for _, a := range plain.take() {
			ids = append(ids, a.ID)
		}
		if len(ids) != 2 || !slices.Contains(ids, open[0].ID) {
			t.Fatalf("a Board without Resync was shown %v; want the two open alarms", ids)
		}
	})
}
