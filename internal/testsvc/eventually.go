package testsvc

import (
	"testing"
	"time"
)

// Eventually polls cond every few milliseconds until it holds, and fails
// the test if it does not within timeout. Use it to wait for something a
// real service does (a point stored, a message delivered), with a generous
// timeout: the machine may be busy.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("testsvc: %s: not within %v", what, timeout)
			return
		}
		time.Sleep(pollEvery)
	}
}
