package event

import "slices"

// Event types the rules engine derives for its own deadlines (journaled
// with Source gateway and Data {"rule": id}). rules/engine's names are
// these; they live here so that ingest can refuse them without importing
// rules.
const (
	RuleHeld = "rule.held"
	RuleCalm = "rule.calm"
)

// Event types a driver derives from what it sees of its line or stream
// (drivers/serialline, drivers/osdp and drivers/rtpstream name these).
const (
	BusFault              = "bus.fault"
	BusRestored           = "bus.restored"
	ReaderRekeyed         = "reader.rekeyed"
	VideoCodecUnsupported = "video.codec_unsupported"
)

// ReservedFor says who alone may put an event of type typ in the journal:
// nil and false for a type any device may send; otherwise the sources
// whose drivers derive it (none for a type only the gateway itself
// journals, such as device.flooding). A device that sends a reserved type
// of its own — a light box saying device.offline or stream.restored about
// itself — is lying about what the gateway observes, and ingest refuses
// it. The types the gateway derives from telemetry thresholds
// (power.mains_lost, battery.low, ...) are not reserved: devices send
// them too.
func ReservedFor(typ string) ([]Source, bool) {
	switch typ {
	case DeviceFlooding, RuleHeld, RuleCalm:
		return nil, true
	case DeviceOffline, DeviceOnline: // the rules' supervision, and the serial buses' polls
		return []Source{SourceOSDP, SourceModbus}, true
	case StreamDegraded, StreamRestored, VideoCodecUnsupported:
		return []Source{SourceRTP}, true
	case BusFault, BusRestored:
		return []Source{SourceOSDP, SourceModbus}, true
	case ReaderRekeyed:
		return []Source{SourceOSDP}, true
	}
	return nil, false
}

// MaySend reports whether an input arriving from source src may journal
// an event of type typ.
func MaySend(src Source, typ string) bool {
	owners, reserved := ReservedFor(typ)
	return !reserved || slices.Contains(owners, src)
}
