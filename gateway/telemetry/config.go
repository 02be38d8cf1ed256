package telemetry

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/spool"
)

// Defaults for the zero values of Config.
const (
	DefaultQueue         = 10000
	DefaultBatchSize     = 1000
	DefaultFlushInterval = time.Second
	DefaultCloseTimeout  = 5 * time.Second

	// DefaultMaxPointsPerSecond paces the sending of a spooled backlog.
	DefaultMaxPointsPerSecond = 50000

	// MaxQueue and MaxBatchSize bound what a config may ask for: the queue
	// is allocated up front (about 100 bytes a slot), and InfluxDB advises
	// batches of a few thousand points.
	MaxQueue     = 1_000_000
	MaxBatchSize = 100_000
)

// Config says where telemetry goes and how much of it may wait.
type Config struct {
	// URL of the InfluxDB HTTP API, such as http://127.0.0.1:8086. Required.
	URL string
	// Token authenticates; for InfluxDB 1.8 it is "user:password", or ""
	// when authentication is off.
	Token string
	// Org is the organisation; "" for InfluxDB 1.8.
	Org string
	// Bucket to write to; for InfluxDB 1.8 "database/retention-policy" or
	// "database". Required.
	Bucket string
	// Site is the value of every point's site tag. Required.
	Site string
	// Queue is how many samples may wait for the writer; more are dropped
	// and counted. 0 means DefaultQueue.
	Queue int
	// BatchSize is the most points sent in one request. 0 means
	// DefaultBatchSize.
	BatchSize uint
	// FlushInterval is the longest a sample waits for its batch to fill.
	// 0 means DefaultFlushInterval.
	FlushInterval time.Duration
	// CloseTimeout bounds how long Run spends, once its context ends,
	// writing what is still queued. 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration
	// SpoolDir, when set, makes telemetry durable: Write appends each point
	// to a disk spool in this directory (Queue then bounds the points
	// waiting for the spool's next fsync), and points are sent from there,
	// in order, acknowledged only once InfluxDB took them. What is left at
	// shutdown is sent by the next writer on the same directory. "" keeps
	// points in memory only.
	SpoolDir string
	// SpoolBytes bounds the telemetry spool on disk; past it the oldest
	// points are dropped and counted. 0 means spool.DefaultMaxBytes (1
	// GiB). Events and alarm transitions wait in their own spool,
	// SpoolDir/events, which is never trimmed for room.
	SpoolBytes int64
	// SpoolMinFreeBytes is free space on the spool's filesystem that the
	// spools never take, for the journal that shares it: below it telemetry
	// points are shed (gridwatch_spool_dropped_total{reason="disk_low"});
	// events and alarm transitions are shed only below half of it. 0 means
	// no floor. Only used with SpoolDir.
	SpoolMinFreeBytes int64
	// MaxPointsPerSecond paces sending from the spool, so that a backlog
	// after an outage does not swamp InfluxDB. 0 means
	// DefaultMaxPointsPerSecond. Only used with SpoolDir.
	MaxPointsPerSecond int
	// Levels returns the level-3 and level-4 ancestors of a grid cell (""
	// for none), written as tags grid_l3 and grid_l4 so that reports roll
	// up without joins; see GridLevels. nil leaves those tags out.
	Levels func(gridID string) (l3, l4 string)
	// Logger receives write errors, at most one line per kind of error per
	// 10 s. nil discards them.
	Logger *slog.Logger
	// Registerer takes the writer's metrics. nil keeps them unregistered.
	Registerer prometheus.Registerer
}

// withDefaults returns c with every zero value replaced by its default.
func (c Config) withDefaults() Config {
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	if c.MaxPointsPerSecond == 0 {
		c.MaxPointsPerSecond = DefaultMaxPointsPerSecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate returns every problem of the configuration at once, or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("telemetry: %s: "+format, append([]any{field}, args...)...))
	}
	switch u, err := url.Parse(c.URL); {
	case c.URL == "":
		bad("url", "empty (leave telemetry off instead of creating a writer)")
	case err != nil:
		bad("url", "%v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		bad("url", "%q: scheme must be http or https", c.URL)
	case u.Host == "":
		bad("url", "%q: no host", c.URL)
	}
	if c.Bucket == "" {
		bad("bucket", "empty (for InfluxDB 1.8: \"database/retention-policy\")")
	}
	if c.Site == "" {
		bad("site", "empty (every point carries the site tag)")
	}
	if c.Queue < 0 || c.Queue > MaxQueue {
		bad("queue", "%d is out of range 0..%d", c.Queue, MaxQueue)
	}
	if c.BatchSize > MaxBatchSize {
		bad("batch_size", "%d is over %d", c.BatchSize, MaxBatchSize)
	}
	if c.FlushInterval < 0 {
		bad("flush_interval", "%v is negative", c.FlushInterval)
	}
	if c.CloseTimeout < 0 {
		bad("close_timeout", "%v is negative", c.CloseTimeout)
	}
	if c.SpoolBytes != 0 && c.SpoolDir == "" {
		bad("spool_bytes", "%d set without spool_dir", c.SpoolBytes)
	}
	if c.SpoolDir != "" {
		if err := (spool.Options{MaxBytes: c.SpoolBytes}).Validate(); err != nil {
			bad("spool_bytes", "%v", err)
		}
	}
	if c.SpoolMinFreeBytes < 0 {
		bad("spool_min_free_bytes", "%d is negative", c.SpoolMinFreeBytes)
	}
	if c.MaxPointsPerSecond < 0 {
		bad("max_points_per_second", "%d is negative", c.MaxPointsPerSecond)
	}
	return errors.Join(errs...)
}
