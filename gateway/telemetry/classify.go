package telemetry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// retry says whether a failed write is tried again.
type retry int

const (
	retryNever   retry = iota // the batch is the problem, or the config: count it failed
	retryLimited              // the server is struggling: a few more tries
	retryAlways               // the server is not there: hold the batch until it is
)

// Retry bounds.
const (
	maxAttempts   = 5 // for retryLimited errors
	backoffFirst  = 500 * time.Millisecond
	backoffMax    = 30 * time.Second
	retryAfterMax = time.Minute
)

// failure is a classified write error.
type failure struct {
	kind  string // a short name for logs: one line per kind per 10 s
	retry retry
	after time.Duration // the server's Retry-After, 0 if none
}

// classify sorts a write error into its kind and whether to retry.
func classify(err error) failure {
	if errors.Is(err, context.DeadlineExceeded) {
		return failure{kind: "timeout", retry: retryLimited}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return failure{kind: "timeout", retry: retryLimited}
	}
	var he *http2.Error
	if !errors.As(err, &he) {
		return failure{kind: "encode", retry: retryNever}
	}
	after := time.Duration(he.RetryAfter) * time.Second
	after = min(after, retryAfterMax)
	switch c := he.StatusCode; {
	case c == 0:
		return failure{kind: "unreachable", retry: retryAlways}
	case c == http.StatusBadRequest:
		return failure{kind: "rejected", retry: retryNever}
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return failure{kind: "unauthorized", retry: retryNever}
	case c == http.StatusNotFound:
		return failure{kind: "not_found", retry: retryNever}
	case c == http.StatusRequestEntityTooLarge:
		return failure{kind: "too_large", retry: retryNever}
	case c == http.StatusTooManyRequests:
		return failure{kind: "throttled", retry: retryLimited, after: after}
	case c >= 500:
		return failure{kind: "server_error", retry: retryLimited, after: after}
	default:
		return failure{kind: "http_" + strconv.Itoa(c), retry: retryNever}
	}
}

// backoff is the wait before retry number attempt (1 for the first retry):
// the server's Retry-After if it gave one, else doubling from backoffFirst
// up to backoffMax.
func backoff(attempt int, after time.Duration) time.Duration {
	if after > 0 {
		return after
	}
	d := backoffFirst
	for i := 1; i < attempt && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// refused returns how many of n points a rejected write refused: the count
// InfluxDB names in a partial-write error, else all n.
func refused(err error, n int) int {
	var he *http2.Error
	if !errors.As(err, &he) || he.StatusCode != http.StatusBadRequest {
		return n
	}
	// InfluxDB 1.x ends a partial-write message with "dropped=N".
	const key = "dropped="
	i := strings.LastIndex(he.Message, key)
	if i < 0 {
		return n
	}
	digits := he.Message[i+len(key):]
	if j := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
		digits = digits[:j]
	}
	d, convErr := strconv.Atoi(digits)
	if convErr != nil || d > n {
		return n
	}
	return d
}
