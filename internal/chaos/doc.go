// Package chaos is gridwatch's fault suite: it runs the real gridwatchd
// binary against real clients (paho light boxes and staff phones, a real
// Mosquitto, a real InfluxDB 1.8), injects one fault at a time while
// presses flow, and judges the result from the outside, with a set check
// over unique presses: every press a light box saw acknowledged (PUBACK)
// must have raised its alarm (GET /api/v1/alarms) and its step-0 pages
// must have reached every person the registry says should be paged (the
// phone's MQTT client received it, or the fake SMS gateway did) — none
// lost, none invented, duplicates only with the same alarm id.
//
// Each press comes from its own light box (a registry of thousands of
// boxes, each pressed at most once per data directory), so a press maps to
// exactly one alarm and one set of pages, and the expected recipients (the
// grid member of the box's cell and the security room) are computed from
// the registry this package writes, never from the gateway.
//
// The package has only tests. `go test ./internal/chaos/` runs a fast
// subset (a few kill -9s, a reconnecting phone, corrupt files, a deleted
// journal) that fits in `make test`; GRIDWATCH_CHAOS=full (`make chaos`)
// runs every fault at full length. Either way the table of results is
// printed at the end, and written to GRIDWATCH_CHAOS_REPORT when set.
//
// Nothing here asserts a timing: waits are bounded and generous, and the
// worst press → page latency is reported, not judged. The clock fault
// judges only "not early" and "not an hour late".
package chaos
