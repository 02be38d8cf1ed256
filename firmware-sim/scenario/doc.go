// Package scenario runs scripted rehearsals of a site: at given offsets it
// presses buttons and sends telemetry on devices' behalf, waits for staff
// phones to be paged (or reached by a broadcast) and devices to be sent
// commands as expected — or makes sure that nothing is, such as no siren
// in test mode — and replies from the phones. An expectation
// that is not met makes the run fail with a message that says which step,
// what was expected and what arrived instead, so installers can use a
// scenario as an acceptance check.
package scenario
