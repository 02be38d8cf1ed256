// Package devices keeps the live picture of the site's hardware: which
// registered device is online, offline or never heard of since start, when
// each was last seen, its latest telemetry, how many of its inputs were
// refused, and which unknown ids are talking to the gateway (so installers
// can adopt them into the registry).
//
// The Tracker is fed from the ingest hot path by many goroutines at once; a
// message from a device costs one sharded lock and a map lookup, and its
// owner is told (onChange) only when a device's state changes or telemetry
// arrives.
package devices

import "github.com/gridwatch/gridwatch/gateway/registry"

// The states a device can be in.
const (
	// Online: the device said so, or a message came from it and it has not
	// gone silent or said offline since.
	Online = "online"
	// Offline: the device said so (its will), or it was silent for longer
	// than its heartbeat interval × 1.5 (see Tracker.Sweep).
	Offline = "offline"
	// Unknown: registered, but never heard of since the gateway started.
	Unknown = "unknown"
	// Unregistered: an id that is not in the registry is talking to us.
	Unregistered = "unregistered"
)

// Status is what the gateway knows of one device. Times are Unix
// milliseconds; 0 means never.
type Status struct {
	ID         string        `json:"id"`
	Kind       registry.Kind `json:"kind,omitempty"`
	Grid       string        `json:"grid,omitempty"`
	Name       string        `json:"name,omitempty"`
	Registered bool          `json:"registered"`
	// State is Online, Offline, Unknown or Unregistered.
	State      string `json:"state"`
	LastSeenMS int64  `json:"last_seen_ms"`
	// Telemetry is the latest sample's fields. It is shared, not copied:
	// treat it as read-only.
	Telemetry   map[string]any `json:"telemetry,omitempty"`
	TelemetryMS int64          `json:"telemetry_ms,omitempty"`
	// Rejected counts inputs refused from this id.
	Rejected uint64 `json:"rejected"`
	// Topic is, for an unregistered device, the topic it last used.
	Topic string `json:"topic,omitempty"`
	// Version grows with every change the tracker reports for this id, so a
	// consumer that may see updates out of order can drop the older one.
	Version uint64 `json:"version"`
}
