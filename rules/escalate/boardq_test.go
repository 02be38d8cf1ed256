package escalate

import (
	"reflect"
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
