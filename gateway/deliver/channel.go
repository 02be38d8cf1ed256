package deliver

import (
	"context"
	"errors"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Notifier pages one staff member. It mirrors the escalation desk's
// Notifier (rules/escalate), so an Outbox can be handed to the desk as is.
type Notifier interface {
	Notify(ctx context.Context, staffID string, n event.Notification) error
}

// Channel delivers one notification to one person over one medium and
// reports the outcome: nil once the far side has accepted it, an error
// marked with Permanent when retrying cannot help, any other error when a
// later try may succeed.
type Channel interface {
	// Name labels the channel in metrics and logs ("webhook", "sms").
	Name() string
	Send(ctx context.Context, staffID string, n event.Notification) error
}

// permanentError marks a failure that retrying will not cure.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as a failure that retrying cannot cure (a 400 from a
// webhook, a staff member without a phone number). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
