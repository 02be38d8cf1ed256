package escalate

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// MinRepage is the shortest repeat or arrive deadline accepted: anything
// shorter floods the people it pages. The config file's checks
// (gateway/config) hold steps to it with the file's lines.
const MinRepage = 10 * time.Second

// Validate checks the policies and returns every problem at once: each of
// the four severities needs a policy with at least one step (a red alarm
// that pages nobody must not pass silently), steps fire at non-negative,
// non-decreasing offsets, name valid roles or staff ids, and page someone;
// repeats and arrive deadlines are 0 or at least 10 s.
func (p Policies) Validate() error {
	var errs []error
	for _, sev := range []event.Severity{event.Red, event.Orange, event.Yellow, event.Blue} {
		if len(p[sev].Steps) == 0 {
			errs = append(errs, fmt.Errorf("policy %s: no steps", sev))
		}
	}
	for sev, pol := range p {
		if !sev.Valid() {
			errs = append(errs, fmt.Errorf("policy %q: not a severity (want red, orange, yellow or blue)", sev))
			continue
		}
		if w := pol.ArriveWithin; w != 0 && w < MinRepage {
			errs = append(errs, fmt.Errorf("policy %s: arrive_within %v: want 0 (none) or at least %v", sev, w, MinRepage))
		}
		for i, st := range pol.Steps {
			where := fmt.Sprintf("policy %s step %d", sev, i)
			if st.After < 0 {
				errs = append(errs, fmt.Errorf("%s: negative after %v", where, st.After))
			}
			if i > 0 && st.After < pol.Steps[i-1].After {
				errs = append(errs, fmt.Errorf("%s: after %v comes before step %d's %v", where, st.After, i-1, pol.Steps[i-1].After))
			}
			if st.Repeat != 0 && st.Repeat < MinRepage {
				errs = append(errs, fmt.Errorf("%s: repeat %v: want 0 (none) or at least %v", where, st.Repeat, MinRepage))
			}
			if len(st.Roles) == 0 && len(st.Staff) == 0 && len(st.Groups) == 0 {
				errs = append(errs, fmt.Errorf("%s: pages nobody (no roles, staff or groups)", where))
			}
			for _, id := range st.Groups {
				if !registry.ValidID(id) {
					errs = append(errs, fmt.Errorf("%s: bad group id %q", where, id))
				}
			}
			for _, r := range st.Roles {
				if !r.Valid() {
					errs = append(errs, fmt.Errorf("%s: unknown role %q", where, r))
				}
			}
			for _, id := range st.Staff {
				if !registry.ValidID(id) {
					errs = append(errs, fmt.Errorf("%s: bad staff id %q", where, id))
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("escalation policies: %w", errors.Join(errs...))
	}
	return nil
}
