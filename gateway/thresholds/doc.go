// Package thresholds turns what devices report in telemetry into the
// events the rules already handle: a light box that only says
// {"mains": false} or {"battery_v": 11.2} raises the same mains_lost or
// battery_low alarm as one that sends power.mains_lost or battery.low, and
// clears it the same way.
//
// Each device's thresholds come from the registry (registry.Thresholds:
// built-in defaults per kind, the registry's per kind, the device's own).
// A Monitor judges every telemetry sample ingest accepts against them,
// like a ThingsBoard alarm rule with its clear condition or a Zabbix
// trigger with its recovery expression:
//
//   - Hysteresis. A numeric threshold has a raise level and a clear level
//     apart from it (below 11.5, clear at 12.0): a value wobbling between
//     them changes nothing, so a battery hovering at the edge raises one
//     battery.low, not one per sample.
//   - Hold. The crossing must last Hold (every sample since the first one
//     across saying the same) before the event is journaled, both ways. It
//     is judged on samples, not by a timer: the event goes with the first
//     sample at least Hold after the crossing.
//   - Journaled like any gateway-derived event (src "gateway"), in the
//     journal before it counts, with the field, value and levels in its
//     data. A journal that cannot take it leaves the state as it was, so
//     the next sample tries again.
//   - Explicit events win. The state follows every event of a threshold's
//     types, the device's own included: a box that sends power.mains_lost
//     itself has its condition raised by it, and its telemetry saying the
//     same adds nothing. Once a device has been seen sending an event type
//     itself, a crossing towards that type waits OwnGrace beyond Hold for
//     the device's own event, which is then the one counted; a device
//     whose firmware stopped sending it still raises, OwnGrace late.
//
// The state survives a restart. The Monitor follows the journal in ID
// order (Run, following the journal, hands each event to Journaled) and keeps a
// small snapshot file, written now and then from the telemetry path and
// at Close, with the ID of the last event it covers; Restore loads it and
// replays the journal after that ID. A raised condition therefore stays
// raised (no second mains_lost after a restart) and a clear journaled
// just before a crash is not lost.
package thresholds
