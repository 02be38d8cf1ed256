// Package silence is the silences of the rules: maintenance windows and
// installers' test modes that mute raises by device, cell or rule, so an
// alarm is recorded but pages nobody.
//
// A Silence is the definition, as a rule file's silences: list and the
// HTTP API write it; Compile checks it into a Matcher, which the rule
// engine asks on every raise. A Set holds the silences operators set at
// run time: it stores each change, with its audit record, in the alarm
// store next to the emergency modes before the call returns, reads them
// back at start, and checks who may silence what (gateway/permit). The
// rules' snapshot no longer carries them, so a damaged or lost snapshot
// loses no silence.
package silence
