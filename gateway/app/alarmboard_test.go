package app_test

import (
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// waitBoard waits until alarm id's state is on its retained topic, i.e.
// the escalation desk has finished raising it. A test that ends right
// after it sees an alarm in the API calls it first, so that the gateway is
// not stopped while the desk still publishes (the broker's store would
// be closed under it).
func (s *site) waitBoard(id string) {
	s.t.Helper()
	got := make(chan struct{}, 1)
	c := s.client("board-"+id, true, nil)
	tok := c.Subscribe(s.topics.Alarm(id), 1, func(paho.Client, paho.Message) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		s.t.Fatalf("subscribe to alarm %s: %v", id, tok.Error())
	}
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("alarm %s never reached its retained topic %s", id, s.topics.Alarm(id))
	}
}
