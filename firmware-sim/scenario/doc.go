// Package scenario runs scripted rehearsals of a site: at given offsets it
// presses buttons and sends telemetry on devices' behalf, waits for staff
// phones to be paged as expected, and replies from them. An expectation
// that is not met makes the run fail with a message that says which step,
// what was expected and what arrived instead, so installers can use a
// scenario as an acceptance check.
package scenario
