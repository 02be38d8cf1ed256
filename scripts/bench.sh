#!/usr/bin/env bash
# bench.sh is `make bench`: panic press → first phone latency of gridwatchd
# and of the latency floor (internal/floor), side by side in one run, with
# the embedded broker and with an external Mosquitto (internal/bench).
# It prints the table and writes it to bench-report.txt. It reports; it
# never fails because the machine is slow.
#
# Knobs (environment):
#   BENCH_SECONDS     seconds each of the 4 targets runs (default 40: ~4 min in all on 2 cores)
#   BENCH_ROUNDS      rounds each target's seconds are cut into, alternating with the floor's
#                     on the same broker, so other work on the machine falls on both (default 4)
#   BENCH_BOXES       light boxes in the generated site (default 2200)
#   BENCH_PRESSES     panic presses per second (default 10)
#   BENCH_BACKGROUND  telemetry messages per second, QoS 0 (default 5000)
#   BENCH_PROFILE     a directory: also take a CPU profile of gridwatchd over
#                     each of its runs (gridwatchd -pprof), gridwatchd-BROKER.pprof, an execution
#                     trace of 5 s from its middle (.trace) and its /metrics after it (.metrics)
#   BENCH_TARGETS     a subset, e.g. floor-embedded,gridwatchd-embedded (default all four)
#   BENCH_FSYNCS      1: run every target under strace (fsync and fdatasync only) and add
#                     their fsyncs per press, by file, under the table (needs strace)
#   BENCH_REPORT      where the table goes (default bench-report.txt)
set -euo pipefail

cd "$(dirname "$0")/.."
report=${BENCH_REPORT:-$PWD/bench-report.txt}
case "$report" in /*) ;; *) report=$PWD/$report ;; esac
profile=${BENCH_PROFILE:-}
if [ -n "$profile" ]; then
	case "$profile" in /*) ;; *) profile=$PWD/$profile ;; esac
fi

GRIDWATCH_BENCH=1 \
	GRIDWATCH_REQUIRE_SERVICES=1 \
	GRIDWATCH_BENCH_SECONDS="${BENCH_SECONDS:-}" \
	GRIDWATCH_BENCH_ROUNDS="${BENCH_ROUNDS:-}" \
	GRIDWATCH_BENCH_BOXES="${BENCH_BOXES:-}" \
	GRIDWATCH_BENCH_PRESSES="${BENCH_PRESSES:-}" \
	GRIDWATCH_BENCH_BACKGROUND="${BENCH_BACKGROUND:-}" \
	GRIDWATCH_BENCH_PROFILE="$profile" \
	GRIDWATCH_BENCH_TARGETS="${BENCH_TARGETS:-}" \
	GRIDWATCH_BENCH_FSYNCS="${BENCH_FSYNCS:-}" \
	GRIDWATCH_BENCH_REPORT="$report" \
	go test -count=1 -timeout 60m -run '^TestFigures$' ./internal/bench/ >"${report%.txt}.log" 2>&1 || {
	rc=$?
	cat "${report%.txt}.log"
	exit "$rc"
}
cat "$report"
[ -z "$profile" ] || echo "profiles of gridwatchd: $profile/gridwatchd-{embedded,mosquitto}.{pprof,trace,metrics} (go tool pprof -top FILE.pprof; go tool trace -pprof=syscall FILE.trace)"
