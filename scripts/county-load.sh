#!/usr/bin/env bash
# county-load.sh runs `gridsim county` (300 simulated gateway uplinks and
# a measuring subscriber) against a private 3-node NATS cluster with
# JetStream and MQTT on loopback, and reports latency, loss, order, the
# backlog after the burst, and the CPU and memory of the simulator and of
# every nats-server. Extra arguments go to gridsim county, e.g.
#   bash scripts/county-load.sh -duration 3m -burst-at 90s
# With COUNTY_VIEW=1 (the default) one county view (gridwatchd county)
# follows the county too, and its CPU and memory are reported with the
# servers', and its own counters (records, duplicates, disorder, gaps,
# lag) are printed at the end.
# Environment: NATS_SERVER (default .cache/bin/nats-server, from
# scripts/test-deps.sh), BASE_PORT (default 24200; uses 17 ports from it),
# COUNTY_VIEW (1 or 0).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
nats=${NATS_SERVER:-$root/.cache/bin/nats-server}
base=${BASE_PORT:-24200}
[ -x "$nats" ] || { echo "county-load: no $nats; run scripts/test-deps.sh" >&2; exit 1; }

go build -o bin/gridsim ./firmware-sim/cmd/gridsim
view=${COUNTY_VIEW:-1}
[ "$view" = 1 ] && go build -o bin/gridwatchd ./gateway/cmd/gridwatchd
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

routes=""
for i in 1 2 3; do
	routes+="\"nats-route://127.0.0.1:$((base + 4 * i + 2))\", "
done
watch=""
brokers=""
for i in 1 2 3; do
	client=$((base + 4 * i)) mqtt=$((base + 4 * i + 1)) cluster=$((base + 4 * i + 2)) mon=$((base + 4 * i + 3))
	mkdir -p "$dir/n$i"
	cat >"$dir/n$i/nats.conf" <<CONF
server_name: "n$i"
listen: "127.0.0.1:$client"
http: "127.0.0.1:$mon"
jetstream { store_dir: "$dir/n$i/js", max_memory_store: 256MB, max_file_store: 4GB }
cluster { name: "county-load", listen: "127.0.0.1:$cluster", routes: [${routes%, }] }
mqtt { listen: "127.0.0.1:$mqtt", stream_replicas: 3 }
CONF
	"$nats" -c "$dir/n$i/nats.conf" >"$dir/n$i/out.log" 2>&1 &
	pids+=($!)
	watch+="nats-n$i=$!,"
	brokers+="tcp://127.0.0.1:$mqtt,"
done
for i in 1 2 3; do
	mon=$((base + 4 * i + 3))
	for _ in $(seq 1 300); do
		curl -fsS "http://127.0.0.1:$mon/healthz" >/dev/null 2>&1 && break
		sleep 0.2
	done
	curl -fsS "http://127.0.0.1:$mon/healthz" >/dev/null || { echo "county-load: n$i not healthy" >&2; tail -50 "$dir/n$i/out.log" >&2; exit 1; }
done
if [ "$view" = 1 ]; then
	http=$((base + 16))
	hash=$(printf 'county-load\n' | bin/gridwatchd passwd)
	cat >"$dir/county.yaml" <<CONF
county: sim
http: {listen: "127.0.0.1:$http"}
mqtt: {url: "tcp://127.0.0.1:$((base + 5))"}
staff:
  - {id: cmd1, name: load, role: command_center, password_hash: "$hash"}
CONF
	bin/gridwatchd county -config "$dir/county.yaml" >"$dir/view.log" 2>&1 &
	pids+=($!)
	watch+="view=$!,"
	for _ in $(seq 1 300); do
		curl -fsS "http://127.0.0.1:$http/readyz" >/dev/null 2>&1 && break
		sleep 0.2
	done
	curl -fsS "http://127.0.0.1:$http/readyz" >/dev/null || { echo "county-load: the county view is not ready" >&2; tail -50 "$dir/view.log" >&2; exit 1; }
fi
echo "county-load: 3 nats-servers healthy ($(${nats} --version)); running gridsim county $*" >&2
rc=0
bin/gridsim county -broker "${brokers%,}" -watch "${watch%,}" "$@" || rc=$?
if [ "$view" = 1 ]; then
	# What the view shows: its Prometheus metrics for alarms and sites.
	echo "county-load: the county view's metrics:"
	curl -fsS "http://127.0.0.1:$http/metrics" | grep -E '^gridwatch_county_' | grep -v '_bucket' | head -30 || true
fi
exit "$rc"
