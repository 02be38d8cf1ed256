package chaos

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// startSMS runs the fake SMS gateway: it answers 200 to every POST and
// records which staff member was sent which alarm.
func startSMS(t *testing.T) (*smsSink, string) {
	sink := &smsSink{sent: map[[2]string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Staff   string `json:"staff"`
			AlarmID string `json:"alarm_id"`
			Step    int    `json:"step"`
		}
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sink.mu.Lock()
		sink.sent[[2]string{m.Staff, m.AlarmID}] = m.Step
		sink.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(srv.Close)
	return sink, srv.URL + "/send"
}

// has reports whether an SMS for alarm went to staff.
func (s *smsSink) has(staff, alarm string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sent[[2]string{staff, alarm}]
	return ok
}

// count returns how many (staff, alarm) SMS were sent.
func (s *smsSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}
