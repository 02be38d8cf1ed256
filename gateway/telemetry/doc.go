// Package telemetry writes device telemetry to InfluxDB without ever
// making ingest wait.
//
// Write puts a sample on a bounded in-memory queue and returns at once;
// when the queue is full the sample is dropped and counted. Run owns the
// one goroutine that takes samples off the queue, batches them (by size or
// by time) and writes each batch with influxdb-client-go's blocking write
// API, so every point ends in exactly one outcome of
// gridwatch_telemetry_points_total: written, dropped (shed: queue full, or
// still queued at shutdown) or failed (rejected by the server, or retried
// in vain). While InfluxDB is unreachable the writer holds its current
// batch and retries with backoff; the queue bounds everything else.
//
// The client's own non-blocking WriteAPI is deliberately not used: its
// buffer and retry queue would sit behind ours, drop the oldest batches of a
// long outage with only a log line, and report errors on a channel, so the
// counts above could not be exact.
//
// With Config.SpoolDir set, telemetry is durable: Write encodes the point as
// line protocol and appends it to a gateway/spool disk spool (still never
// waiting: a full append buffer is a counted drop), and Run sends batches
// from the spool in order, acknowledging each only once InfluxDB answered
// 2xx (or rejected the points themselves), paced to MaxPointsPerSecond so
// that a backlog does not swamp the server. Outages, throttling, server
// errors and even a refused login are waited out with backoff for as long
// as they last; the spool bounds what waits (SpoolBytes) and drops its
// oldest points, counted, when full. Points still spooled when Run ends are
// sent by the next writer on the same directory; one that crashes between a
// write and its acknowledgement sends that batch again, which InfluxDB
// stores once (same series, same time).
//
// Points go to measurement device_telemetry with tags site, grid (and,
// with Config.Levels, its level-3 and level-4 ancestors), device and kind,
// the sample's fields as fields, and its own timestamp at millisecond
// precision.
//
// WriteEvent and WriteAlarm write device events (device_event), alarm
// transitions (alarm_transition) and per-alarm response times
// (alarm_response) through the same sender. With a spool they wait in a
// second one, SpoolDir/events, which is sent first and never trimmed for
// room, so a full telemetry spool never costs an event. docs/schema.md
// describes every measurement. They count in
// gridwatch_telemetry_points_total like telemetry.
package telemetry
