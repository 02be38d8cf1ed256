// Package spool is a bounded, durable, first-in first-out store of opaque
// records on local disk: what the gateway cannot hand to a slow or absent
// consumer (InfluxDB during an outage) waits here, across restarts.
//
// Records live in segment files named after the sequence number of their
// first record (00000000000000000042.seg). Each record is framed as
//
//	length uint32 LE | CRC-32C uint32 LE of length and payload | payload
//
// Append copies a record into a bounded in-memory buffer and returns at
// once; Run (or Flush) writes the buffer to the newest segment and fsyncs
// it, in groups: when SyncRecords are waiting or SyncInterval after the
// first of them, whichever comes first. When the spool's files would grow
// past MaxBytes, the oldest segment is deleted and its unread records are
// counted in gridwatch_spool_dropped_total{reason="full"}.
//
// One reader takes records in order with Next, which always starts at the
// durable cursor, and moves the cursor with Ack, which persists it (a small
// file written, fsync'd and renamed) and deletes the segments wholly behind
// it. A record is handed out again until it is acknowledged, so a consumer
// that crashes between a write and its Ack sends that batch twice: give
// records an idempotent identity (InfluxDB points do: series and time).
//
// On Open every segment is read and checked; a record that is cut short or
// fails its checksum ends its segment there: the file is truncated, the loss
// logged and counted (reason "corrupt"). Records fsync'd before a crash and
// not yet acknowledged are all handed out again.
package spool
