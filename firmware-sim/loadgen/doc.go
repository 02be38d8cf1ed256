// Package loadgen is the latency bench of the README's figures (press → first phone under 5 ms p99): background
// telemetry at a set rate from many devices, panic presses at a set rate on
// rotating light boxes, and one phone per staff member paged at step 0 for
// them. Latency is measured in this process with the monotonic clock, from
// just before a press is published to the first notification of its alarm
// on any phone. Each phone resolves an alarm as soon as it arrives, and a
// light box is pressed again only after the gateway has closed its alarm,
// so every press opens a new alarm and pages again.
package loadgen
