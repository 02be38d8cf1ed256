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
// counts above could not be exact. A durable spool comes later; until then
// this queue is the only buffer and its losses are counted.
//
// Points go to measurement device_telemetry with tags site, grid, device and
// kind, the sample's fields as fields, and its own timestamp at
// millisecond precision.
package telemetry
