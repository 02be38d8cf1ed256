#!/usr/bin/env bash
# check.sh is `make check`: gofmt, go vet, staticcheck and govulncheck.
# Each runs even if one before it failed; the script fails at the end,
# naming every check that did.
#
# staticcheck and govulncheck are pinned and installed from the Go module
# proxy into .cache/tools/NAME@VERSION (git-ignored) the first time.
#
# govulncheck needs the Go vulnerability database. In order:
#   1. GRIDWATCH_VULNDB, if set (any -db value: https://..., file:///...);
#   2. https://vuln.go.dev, if it answers (the freshest data);
#   3. else a local copy built from the golang.org/x/vulndb module, which
#      the module proxy serves: its data/osv reports are indexed into the
#      v1 layout (.cache/vulndb/VULNDB_VERSION) by vulndb's own cmd/indexdb.
#      Its data are as new as VULNDB_VERSION: bump it to refresh.
# If none of these is available, the check fails and says that govulncheck
# did not run; it never passes silently.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.1.x, knows Go 1.26
GOVULNCHECK_VERSION=v1.10.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

say() { printf 'check: %s\n' "$*"; }

# tool installs module path pkg at version into its own directory and
# prints the binary's path.
tool() {
	local pkg=$1 version=$2 name
	name=$(basename "$pkg")
	local dir="$root/.cache/tools/$name@$version"
	if [ ! -x "$dir/$name" ]; then
		say "installing $pkg@$version into ${dir#"$root"/}" >&2
		mkdir -p "$dir"
		GOBIN="$dir" GOFLAGS=-mod=mod go install "$pkg@$version" >&2
	fi
	printf '%s\n' "$dir/$name"
}

# vulndb prints the -db value govulncheck should use, or fails.
vulndb() {
	if [ -n "${GRIDWATCH_VULNDB:-}" ]; then
		say "vulnerability database: $GRIDWATCH_VULNDB (GRIDWATCH_VULNDB)" >&2
		printf '%s\n' "$GRIDWATCH_VULNDB"
		return
	fi
	if curl -fsS --max-time 5 -o /dev/null https://vuln.go.dev/index/db.json 2>/dev/null; then
		say "vulnerability database: https://vuln.go.dev" >&2
		printf '%s\n' https://vuln.go.dev
		return
	fi
	local out="$root/.cache/vulndb/$VULNDB_VERSION"
	if [ ! -f "$out/index/modules.json" ]; then
		say "vuln.go.dev is not reachable; building a local database from golang.org/x/vulndb@$VULNDB_VERSION" >&2
		local src indexdb
		src=$(GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[ -d "$src/data/osv" ] || { say "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2; return 1; }
		indexdb=$(tool golang.org/x/vulndb/cmd/indexdb "$VULNDB_VERSION")
		rm -rf "$out.tmp"
		"$indexdb" -vulns "$src/data/osv" -out "$out.tmp" >&2
		mv "$out.tmp" "$out"
	fi
	say "vulnerability database: local copy of golang.org/x/vulndb@$VULNDB_VERSION ($(find "$out/ID" -name '*.json' | wc -l) reports), NOT live vuln.go.dev" >&2
	printf 'file://%s\n' "$out"
}

failed=()

say "gofmt"
files=$(find . -path ./.cache -prune -o -path ./.git -prune -o -name '*.go' -print0 | xargs -0 -r gofmt -l)
if [ -n "$files" ]; then
	say "these files are not formatted (run gofmt -w):"
	printf '%s\n' "$files"
	failed+=(gofmt)
fi

say "go vet"
go vet ./... || failed+=("go vet")

say "staticcheck $STATICCHECK_VERSION"
"$(tool honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION")" ./... || failed+=(staticcheck)

say "govulncheck $GOVULNCHECK_VERSION"
govulncheck=$(tool golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION")
if ! db=$(vulndb); then
	say "govulncheck did NOT run: no vulnerability database (vuln.go.dev unreachable and no local copy could be built)" >&2
	failed+=("govulncheck (did not run)")
else
	"$govulncheck" -db "$db" ./... || failed+=(govulncheck)
fi

if [ ${#failed[@]} -gt 0 ]; then
	say "FAILED: ${failed[*]}" >&2
	exit 1
fi
say "all passed"
