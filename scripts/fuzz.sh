#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a short time each.
# Usage: scripts/fuzz.sh [FUZZTIME] [PACKAGES...]   (default 10s, ./...)
# go test -fuzz takes one package and one target at a time, so this lists
# the targets and runs them one after the other. New inputs that fail are
# written to the package's testdata/fuzz, as go test does.
set -euo pipefail

cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
shift || true
[ "$#" -gt 0 ] || set -- ./...

found=0
for pkg in $(go list "$@"); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		found=$((found + 1))
		printf 'fuzz: %s %s for %s\n' "$pkg" "$target" "$fuzztime"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
printf 'fuzz: %d targets run\n' "$found"
