package spool

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxBytes     = 1 << 30 // 1 GiB
	DefaultSyncRecords  = 1000
	DefaultSyncInterval = 100 * time.Millisecond
	DefaultBuffer       = 10000
	DefaultName         = "spool"

	// MaxRecord is the largest record Append takes; a frame claiming more
	// is corrupt.
	MaxRecord = 16 << 20
	// minMaxBytes keeps a spool large enough for a few segments.
	minMaxBytes = 64 << 10
)

// Options tune a spool. The zero value is usable.
type Options struct {
	// Name tells this spool's metrics apart (label spool). "" means
	// DefaultName.
	Name string
	// MaxBytes bounds the segment files on disk; past it the oldest
	// segment is dropped. 0 means DefaultMaxBytes.
	MaxBytes int64
	// SegmentBytes is the size past which a new segment is started. 0
	// means MaxBytes/16, at most 64 MiB. It may be at most MaxBytes/4.
	SegmentBytes int64
	// SyncRecords waiting in the buffer make Run write and fsync them at
	// once. 0 means DefaultSyncRecords.
	SyncRecords int
	// SyncInterval is the longest a record waits in the buffer while Run
	// runs. 0 means DefaultSyncInterval.
	SyncInterval time.Duration
	// Buffer is how many records may wait in memory for the next fsync;
	// Append refuses more. 0 means DefaultBuffer.
	Buffer int
	// BufferBytes bounds the bytes waiting in memory. 0 means
	// MaxBytes/4, at most 8 MiB. It may be at most MaxBytes/4.
	BufferBytes int64
	// MinFreeBytes is free space on the filesystem of the spool's directory
	// that the spool never takes: a write that would leave less is not made
	// and its records are dropped and counted (reason "disk_low"), so that
	// what shares the disk (the gateway's journal) keeps room. 0 means no
	// floor.
	MinFreeBytes int64
	// OnDrop, if set, is told of records lost after Append accepted them:
	// by reason "full", "corrupt", "write_error" or "disk_low", n at a time. It is
	// called with the spool locked: it must be quick and must not call the
	// spool.
	OnDrop func(reason string, n int)
	// Logger receives recovery and write-error reports. nil discards them.
	Logger *slog.Logger
	// Registerer takes the spool's metrics. nil keeps them unregistered.
	Registerer prometheus.Registerer
}

// Validate returns every problem of the options at once, or nil.
func (o Options) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("spool: %s: "+format, append([]any{field}, args...)...))
	}
	if o.MaxBytes < 0 || (o.MaxBytes > 0 && o.MaxBytes < minMaxBytes) {
		bad("max_bytes", "%d: must be 0 (default %d) or at least %d", o.MaxBytes, DefaultMaxBytes, minMaxBytes)
	}
	maxBytes := o.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes < 0 || o.SegmentBytes > maxBytes/4 {
		bad("segment_bytes", "%d is out of range 0..%d (a quarter of max_bytes)", o.SegmentBytes, maxBytes/4)
	}
	if o.SyncRecords < 0 {
		bad("sync_records", "%d is negative", o.SyncRecords)
	}
	if o.SyncInterval < 0 {
		bad("sync_interval", "%v is negative", o.SyncInterval)
	}
	if o.Buffer < 0 {
		bad("buffer", "%d is negative", o.Buffer)
	}
	if o.MinFreeBytes < 0 {
		bad("min_free_bytes", "%d is negative", o.MinFreeBytes)
	}
	if o.BufferBytes < 0 || o.BufferBytes > maxBytes/4 {
		bad("buffer_bytes", "%d is out of range 0..%d (a quarter of max_bytes)", o.BufferBytes, maxBytes/4)
	}
	return errors.Join(errs...)
}

// withDefaults returns o with every zero value replaced by its default.
func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = min(o.MaxBytes/16, 64<<20)
	}
	if o.SyncRecords == 0 {
		o.SyncRecords = DefaultSyncRecords
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultBuffer
	}
	if o.BufferBytes == 0 {
		o.BufferBytes = min(o.MaxBytes/4, 8<<20)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}
