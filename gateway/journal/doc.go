// Package journal is the gateway's append-only log of accepted events: the
// durable record behind "accepted means durable".
//
// A journal is a directory of segment files named after the ID of their first
// event (20 digits, "00000000000000000001.jsonl"). Each line of a segment is
// one event.Event as JSON, the same format as an events .jsonl file that
// ReadFile reads for a dry run of the rules.
//
// Append assigns the next ID, writes the line and returns once it is fsync'd.
// Concurrent appenders share one write and one fsync (group commit): the first
// appender to find no flush in progress becomes the leader, takes every line
// queued so far, writes and syncs them, and releases everyone in that batch.
// Appenders that arrive while it syncs queue up for the next batch. No
// goroutine is started: Open only opens files, and the work is done on the
// appenders' own goroutines.
//
// Append returns as soon as its batch is fsync'd: durability is the only
// thing an appender waits for. What is done with the events (the rules, the
// escalation desk, device commands, history) runs on the goroutine of a
// follower: Follow gives it every durable event after a point, one at a time
// and in strictly increasing ID order, from a bounded in-memory tail of the
// latest events (Options.Tail) while it keeps up, and from disk when it
// starts or falls further behind. Memory stays bounded however far a
// follower falls behind, and no appender waits for it.
//
// An event acknowledged but not yet given to a follower when the process
// dies is on disk: the follower's owner finds it again at the next start by
// following from its own checkpoint (the rules follow from the older of the
// alarm store's checkpoint and their snapshot, see rules/runner), so it is
// applied exactly once.
//
// # Recovery rules
//
// Open recovers from a crash: a torn or garbled tail of the last segment (a
// write the kernel never finished) is truncated away and logged. A crash
// only ever cuts the last batch short, and that batch was never synced, so
// never acknowledged: that is logged as a warning. If the journal then ends
// below Options.Applied (the alarm store's checkpoint), the tail was cut by
// something else (a disk fault, a hand) and held acknowledged events: that is
// logged as an error.
//
// A damaged line with valid lines after it is different: it was synced, so
// it held an acknowledged event, since damaged on disk. It is never skipped
// silently, and it never stops the gateway either: in the last segment Open
// rewrites the segment from its valid lines (the damaged file is kept beside
// it as .damaged-<unix time>); in an older segment Replay skips it. Either
// way each such line is logged as an error with file:line and counted in
// gridwatch_journal_lost_events_total. Only a segment misnamed for its
// events (no damaged line, but a first ID that is not its name) is an error.
//
// # IDs never repeat
//
// An event ID names one event for the life of a data directory, even when
// the journal loses its tail or is deleted: the alarm store keeps what the
// journal cannot (its checkpoint, Options.Applied, and a reservation,
// Options.Reserved, kept through Options.Reserve ReserveBlock IDs at a time
// before they are written). Open starts IDs above all three, and reports a
// journal that ends below Options.Applied as lost events (an error in the
// log and gridwatch_journal_lost_events_total), so that new events are
// never taken for ones the alarm store has already handled. A clean Close
// gives back the unused part of the reservation.
//
// # Write errors
//
// A write or fsync error (a full disk, a failing one) fails every appender
// of that batch with an error wrapping ErrBroken: those events are not
// durable and were never acknowledged. The journal then cuts the segment
// back to the size it had at its last successful sync (removing segments
// the batch started) and syncs that, so no page the disk may have dropped
// after a failed fsync can later be read as durable. It does not latch: the
// next Append repairs what is left to repair and writes again, so the
// journal recovers by itself once space returns. Err reports the failure
// until a write succeeds (for /readyz).
//
// With Options.Headroom the journal keeps that much disk allocated past the
// end of the segment it writes (fallocate, keeping the file's size), so a
// disk filled by something else does not refuse events until that room is
// used up as well.
//
// # Retention
//
// The journal never removes anything by itself. Retain removes the oldest
// segments by age and size (Retention), but only those whose events all lie
// at or before the point a restart replays from (the older of the alarm
// store's checkpoint and the rules' snapshot, which the caller passes); the
// segment being written is always kept, so the last ID stays on disk.
package journal
