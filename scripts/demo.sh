#!/usr/bin/env bash
# Runs a demo site: the gateway with the demo registry, a simulated site of
# light boxes heart-beating over MQTT, and the phone of grid member 王芳
# (wang) that prints every page she gets and acknowledges it.
# Stop with Ctrl-C or TERM; everything started here stops with it.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin
echo "building gridwatchd and gridsim..."
go build -o bin/gridwatchd ./gateway/cmd/gridwatchd
go build -o bin/gridsim ./firmware-sim/cmd/gridsim

# pids are the gateway and the simulators themselves: each one's output goes
# through a labelling sed by process substitution, so $! is the program, not
# its sed (killing a pipeline's sed left the simulator running). Ctrl-C, a
# TERM or the script's end stops them all, and waits for them.
pids=()
cleanup() {
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cfg=deploy/demo/gridwatch.yaml
reg=deploy/demo/registry.yaml
# A fresh site each run: the demo's journal, alarms and broker sessions.
rm -rf deploy/demo/data
bin/gridwatchd -config "$cfg" 2> >(sed -u 's/^/[gateway] /' >&2) &
pids+=($!)

for _ in $(seq 1 100); do
	(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break
	kill -0 "${pids[0]}" 2>/dev/null || { echo "gridwatchd stopped at start (see [gateway] above)" >&2; exit 1; }
	sleep 0.1
done

bin/gridsim run -registry "$reg" > >(sed -u 's/^/[site]    /') 2>&1 &
pids+=($!)
bin/gridsim phone wang -ack -ack-after 5s > >(sed -u 's/^/[wang]    /') 2>&1 &
pids+=($!)
bin/gridsim phone li > >(sed -u 's/^/[li]      /') 2>&1 &
pids+=($!)
# Two cameras' video: cam-0001 clean, cam-0002 losing 5 % of its packets
# (a blue "stream degraded" alarm in the console within about 10 s).
bin/gridsim camera -to 127.0.0.1:5004 > >(sed -u 's/^/[cam1]    /') 2>&1 &
pids+=($!)
bin/gridsim camera -to 127.0.0.1:5006 -loss 5% > >(sed -u 's/^/[cam2]    /') 2>&1 &
pids+=($!)

cat <<'MSG'

  gridwatch demo site is running.

  Console (security room):   http://127.0.0.1:8080/
  Alarms API:                http://127.0.0.1:8080/api/v1/alarms?state=all
  Devices API:               http://127.0.0.1:8080/api/v1/devices
  Metrics:                   http://127.0.0.1:8080/metrics
  MQTT broker:               tcp://127.0.0.1:1883 (topic root gridwatch/v1)

  Press a panic button from another terminal:
      bin/gridsim press lb-0001
  王芳's phone ([wang]) prints the page and acknowledges it after 5 s.
      bin/gridsim press lb-0006
  is in 陈静's cell, whose phone is not running: nobody acknowledges, so
  after 60 s police 李警官 ([li]) is paged, and the command centre after 180 s.

  Ctrl-C (or kill -TERM of this script) stops everything.

MSG
wait
