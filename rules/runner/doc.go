// Package runner owns the rules engine on the alarm path: it takes the
// journal's durable events, in ID order, through the rules to the
// escalation desk, sends the devices the commands the rules ask for,
// keeps event history, watches for devices that fall silent, and keeps
// the rules' state across restarts.
//
// # Order and restarts
//
// The runner follows the journal on one goroutine of its own (Run): an
// appender, and so a device's acknowledgement, waits only for the fsync,
// never for the rules, the desk, device commands or history. Events reach
// the rules in strictly increasing ID order, whoever appended them.
//
// The desk sees every event in strictly increasing ID order, exactly once
// per run, and keeps the last one it stored as its checkpoint (D). The
// rules' state is saved as a snapshot (rules.state in the data directory)
// that says which event it was taken after (S); it is written only once
// D has reached S, so at the next start S ≤ D always holds. A start
// restores the snapshot and replays the journal after S: events up to D
// are settled, and only rebuild the rules' windows (their alarms, commands
// and history were already made and are not made again); later events go
// on to the desk as new. Nothing is counted twice and nothing is missed,
// however old the snapshot, and however far the runner was behind the
// journal when the process died.
//
// # Signs of life
//
// Signs of life that are not events (telemetry, presence, serial polls)
// arrive through Alive, far more often than events. They do not wait for
// the engine: they are kept, latest per device, until the next
// supervision tick hands them to the engine just before it looks for
// silent devices. When each device was last heard from is also kept in
// lastseen.json, so a device that fell silent while the gateway was down
// is declared offline at the time it really went silent.
//
// The runner imports neither the gateway's composition root nor any
// driver: the journal, the desk, the device tracker, the command router
// and the history writer are the small interfaces declared here.
package runner
