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
// After a batch is durable the journal hands it to Options.OnDurable, in ID
// order and never concurrently, before the appenders of that batch are
// released: when Append returns nil, the consumer has been given the event.
//
// Open recovers from a crash: a torn or garbled tail of the last segment (a
// write the kernel never finished) is truncated away and logged, because no
// appender was ever told it was durable. Garbage followed by valid lines is
// corruption and is reported with file:line, never skipped.
//
// A write or fsync error breaks the journal: every appender of the failed
// batch and every later Append gets an error wrapping ErrBroken. After an
// fsync failure the state of the page cache is unknown, so retrying would risk
// reporting lost data as durable; the gateway must restart, and Open then
// recovers what reached the disk.
package journal
