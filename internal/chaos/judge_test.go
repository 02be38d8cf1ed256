package chaos

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// apiAlarm is what the judge reads of GET /api/v1/alarms.
type apiAlarm struct {
	ID       string `json:"id"`
	Rule     string `json:"rule"`
	Device   string `json:"device"`
	State    string `json:"state"`
	RaisedMS int64  `json:"raised_ms"`
}

// fetchAlarms lists every alarm of the gateway (open and closed).
func fetchAlarms(s *site) ([]apiAlarm, error) {
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get("http://" + s.httpAddr + "/api/v1/alarms?state=all&limit=10000")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/alarms: %s", resp.Status)
	}
	var body struct{ Alarms []apiAlarm }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET /api/v1/alarms: %w", err)
	}
	return body.Alarms, nil
}

// verdict is one row of the table.
type verdict struct {
	Fault     string
	Sent      int           // presses sent
	Acked     int           // presses a box saw acknowledged
	Alarms    int           // acknowledged presses whose alarm exists
	PagesWant int           // step-0 pages the acknowledged presses call for
	Pages     int           // of those, delivered (phone, or SMS)
	SMS       int           // of those, delivered only by SMS
	Lost      int           // acknowledged presses missing their alarm or a page
	Dup       int           // extra receipts of a page, same alarm id
	Invented  int           // alarms or pages no press explains, or a second alarm for one press
	Unacked   int           // presses never acknowledged, even after resending for minutes
	Worst     time.Duration // worst press → page (first try of the press to first receipt)
	Notes     []string
	Failed    bool
}

func (v *verdict) note(format string, a ...any) { v.Notes = append(v.Notes, fmt.Sprintf(format, a...)) }

// fail marks v failed for a reason outside the set check (a gateway that
// would not start, telemetry lost, a step paged early).
func (v *verdict) fail(format string, a ...any) {
	v.Failed = true
	v.Notes = append(v.Notes, "FAIL: "+fmt.Sprintf(format, a...))
}

// ok reports whether nothing was lost, invented or left unacknowledged,
// and nothing else failed.
func (v *verdict) ok() bool { return !v.Failed && v.Lost == 0 && v.Invented == 0 && v.Unacked == 0 }

// smsSink is the fake SMS gateway's record: (staff, alarm id) pairs it
// was asked to send, with step.
type smsSink struct {
	mu   sync.Mutex
	sent map[[2]string]int
}

// judge checks presses against the alarms the gateway lists and what the
// phones (and the SMS gateway) got. alarms and receipts may include other
// presses of the same site; only this batch is judged, but anything no
// press of the site explains counts as invented.
func judge(s *site, fault string, presses []*press, alarms []apiAlarm, ps phones, sms *smsSink) verdict {
	v := verdict{Fault: fault, Sent: len(presses)}
	byBox := map[string][]string{} // box → panic alarm ids
	for _, a := range alarms {
		if a.Rule != "panic" {
			continue
		}
		if !s.wasPressed(a.Device) {
			v.Invented++
			v.note("alarm %s for %s, a box never pressed", a.ID, a.Device)
			continue
		}
		byBox[a.Device] = append(byBox[a.Device], a.ID)
	}
	// got[staff][box] = step-0 receipts of that staff for that box.
	got := map[string]map[string][]receipt{}
	for staff, p := range ps {
		got[staff] = map[string][]receipt{}
		for _, r := range p.receipts() {
			if r.Kind != "" || r.Rule != "panic" || r.Step != 0 {
				continue
			}
			if !s.wasPressed(r.Device) || !slices.Contains(expected(r.Device), staff) {
				v.Invented++
				v.note("%s paged for %s (alarm %s), not a press of theirs", staff, r.Device, r.AlarmID)
				continue
			}
			got[staff][r.Device] = append(got[staff][r.Device], r)
		}
	}
	var lostEx []string
	for _, p := range presses {
		if p.acked.IsZero() {
			v.Unacked++
			continue
		}
		v.Acked++
		ids := byBox[p.box]
		lost := false
		switch {
		case len(ids) == 0:
			lost = true
		case len(ids) > 1:
			v.Invented += len(ids) - 1
			v.note("press of %s raised %d alarms %v", p.box, len(ids), ids)
		}
		if len(ids) > 0 {
			v.Alarms++
		}
		for _, staff := range expected(p.box) {
			v.PagesWant++
			recs := got[staff][p.box]
			var first time.Time
			n := 0
			for _, r := range recs {
				if !slices.Contains(ids, r.AlarmID) {
					v.Invented++
					v.note("%s paged for %s with alarm %s, which the API does not list for it", staff, p.box, r.AlarmID)
					continue
				}
				if n == 0 || r.At.Before(first) {
					first = r.At
				}
				n++
			}
			viaSMS := false
			if n == 0 && sms != nil {
				for _, id := range ids {
					if sms.has(staff, id) {
						viaSMS = true
					}
				}
			}
			switch {
			case n > 0:
				v.Pages++
				v.Dup += n - 1
				if d := first.Sub(p.sent); d > v.Worst {
					v.Worst = d
				}
			case viaSMS:
				v.Pages++
				v.SMS++
			default:
				lost = true
				if len(lostEx) < 8 {
					lostEx = append(lostEx, fmt.Sprintf("%s→%s", p.box, staff))
				}
			}
		}
		if lost {
			v.Lost++
		}
	}
	if v.Lost > 0 {
		v.note("lost, e.g. %s", strings.Join(lostEx, " "))
	}
	if v.Unacked > 0 {
		v.note("%d presses never acknowledged after resending for %v", v.Unacked, pressGiveUp)
	}
	if len(v.Notes) > 12 {
		v.Notes = append(v.Notes[:12:12], fmt.Sprintf("… %d more notes", len(v.Notes)-12))
	}
	return v
}

// settle judges until nothing acknowledged is missing any more, or nothing
// has changed for quiet (pages still on their way keep coming; lost ones
// never do), or within has passed, and returns the last verdict. Only
// losses are waited for; the judge is the same.
func settle(s *site, fault string, presses []*press, ps phones, sms *smsSink, within time.Duration) verdict {
	quiet := 30 * time.Second
	if full() {
		quiet = time.Minute
	}
	deadline := time.Now().Add(within)
	last, since := -1, time.Now()
	for {
		alarms, err := fetchAlarms(s)
		if err == nil {
			v := judge(s, fault, presses, alarms, ps, sms)
			if progress := v.Alarms + v.Pages; progress != last {
				last, since = progress, time.Now()
			}
			if v.Lost == 0 || time.Now().After(deadline) || time.Since(since) > quiet {
				return v
			}
		} else if time.Now().After(deadline) {
			v := verdict{Fault: fault, Sent: len(presses)}
			v.fail("could not list alarms: %v", err)
			return v
		}
		time.Sleep(time.Second)
	}
}
