// Package floor is the latency floor of the press → page bench: a minimal
// relay that does, for each panic press, only what any gateway must — write
// one journal line and fsync it, then publish one page (QoS 1) to the
// notify topic of one staff member — and nothing else: no rules, no alarm
// store, no retained alarm state, no receipts. Telemetry it only takes
// and drops: on an external broker it subscribes to it as gridwatchd does,
// since a gateway must take the site's telemetry and delivering it is the
// broker's work too.
//
// `make bench` (internal/bench) runs it side by side with gridwatchd under
// the same load, on the same machine and broker, so gridwatchd's figures
// read as a ratio to what the machine and broker allow at all. It runs in
// either of the two places gridwatchd does: with its own embedded
// mochi-mqtt broker (the settings gridwatchd's embedded broker uses; the
// press is acknowledged after the fsync, as gridwatchd acknowledges it),
// or as a client of an external broker such as Mosquitto (its subscription
// acknowledges the press after the fsync). `gridsim floor` is the command.
package floor
