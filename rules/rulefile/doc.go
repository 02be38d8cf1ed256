// Package rulefile is the rule language: a rule file's YAML (rules:,
// silences: and tests:), decoded strictly through internal/yamlstrict,
// every rule checked (types and globs, kinds, ids, when: and by:
// expressions compiled over Env, titles, count, sequence, absence, for:,
// flap:, inhibited_by:, commands:) with every problem reported at once as
// FILE:LINE: RULE: what; the built-in rule file; and the test cases a file
// carries, with their runner.
//
// It knows nothing of how rules run: the engine (rules/engine) imports it
// and compiles a checked set (Check) into state and decisions, and hands
// File.Run the Replayer that runs a case. The arrow points one way:
// rulefile never imports the engine. See README.md for the language.
package rulefile
