package event

import "fmt"

// Reason is why an input was refused. Reasons are metric label values of
// gridwatch_ingest_rejected_total{reason}; keep them few and stable.
type Reason string

// The reasons an input is rejected for.
const (
	Malformed     Reason = "malformed"      // not JSON, not an object, bad topic
	Oversize      Reason = "oversize"       // payload above the limit
	UnknownDevice Reason = "unknown_device" // id not in the registry
	BadType       Reason = "bad_type"       // a field of the wrong type or value
	Duplicate     Reason = "duplicate"      // seq already seen
	RateLimited   Reason = "rate_limited"   // a device flooding beyond its budget
	BadCRC        Reason = "bad_crc"        // serial frame failed its check
	UnknownStaff  Reason = "unknown_staff"  // staff id not in the registry
	Unavailable   Reason = "unavailable"    // the gateway could not store it (retry)
)

// Reject is an input that was refused, with the reason and what was wrong.
type Reject struct {
	Reason Reason
	Device string // may be empty when it could not be told
	Topic  string
	Err    error
}

// Error says what was refused and why.
func (r *Reject) Error() string {
	where := r.Topic
	if where == "" {
		where = r.Device
	}
	return fmt.Sprintf("rejected %s (%s): %v", where, r.Reason, r.Err)
}

// Unwrap returns the underlying error.
func (r *Reject) Unwrap() error { return r.Err }
