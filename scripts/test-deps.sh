#!/usr/bin/env bash
# test-deps.sh installs what the tests need, and only what is missing:
#   - mosquitto (Debian package), for tests against a real MQTT broker;
#   - mosquitto_sub / mosquitto_pub (Debian package mosquitto-clients), real
#     MQTT clients for the embedded broker's security tests (last wills,
#     client-id takeover);
#   - influxd 1.8 (built from source with `go install`) in .cache/bin, for
#     tests against a real InfluxDB;
#   - nats-server (built with `go install`) in .cache/bin, the county
#     tier's test broker: a 3-node cluster with JetStream and MQTT
#     (internal/testsvc NATSCluster);
#   - chromium (Debian package), for the headless test of the console;
#   - fonts-noto-cjk (Debian package), so that the headless tests of the
#     console and the phone app render Chinese (and their screenshots show it);
#   - promtool (Debian package prometheus), to check deploy/prometheus and
#     lint the gateway's /metrics;
#   - ffmpeg (Debian package), an independent RTP/H.264 sender for the
#     camera stream tests (drivers/rtpstream), and the RTSP client the
#     gateway runs for the cameras it pulls (drivers/rtsp).
#   - GStreamer's RTSP server with its Python bindings (Debian packages
#     python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good and
#     -bad), the independent RTSP server of drivers/rtsp's tests (ffmpeg
#     cannot serve RTSP).
#   - python3-pymodbus and libmodbus-dev (Debian packages, with gcc and
#     pkg-config), independent Modbus RTU servers for the Modbus driver's
#     interop tests (drivers/modbus/interop_test.go).
# It is idempotent: run it as often as you like (`make test` does).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
INFLUXDB_VERSION=v1.8.10
# Keep in step with internal/testsvc.NATSVersion.
NATS_VERSION=v2.15.3

say() { printf 'test-deps: %s\n' "$*"; }

# as_root runs a command as root: directly when we are root, else via sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		say "need root to run: $* (and there is no sudo)" >&2
		return 1
	fi
}

have_mosquitto() {
	command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]
}

install_mosquitto() {
	if have_mosquitto; then
		say "mosquitto: present ($(command -v mosquitto || echo /usr/sbin/mosquitto))"
		return
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		say "mosquitto is missing and this is not a Debian-like system: install it by hand" >&2
		return 1
	fi
	say "mosquitto: installing with apt-get"
	# Keep the package from starting a system broker on port 1883: tests run
	# their own brokers on random ports, and the gateway's own embedded
	# broker defaults to 1883. policy-rc.d answering 101 is Debian's way to
	# say "do not start services" during an install.
	local policy=/usr/sbin/policy-rc.d made_policy=
	if [ ! -e "$policy" ]; then
		as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
		made_policy=1
	fi
	local rc=0
	as_root apt-get update || rc=$?
	if [ "$rc" -eq 0 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y mosquitto || rc=$?
	fi
	if [ -n "$made_policy" ]; then
		as_root rm -f "$policy"
	fi
	[ "$rc" -eq 0 ] || { say "apt-get failed ($rc)" >&2; return "$rc"; }
	# Should a system broker have started anyway (systemd ignores
	# policy-rc.d on some setups), stop and disable it: we installed it only
	# for tests.
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
		say "mosquitto: stopping and disabling the system service the package started"
		as_root systemctl disable --now mosquitto || true
	elif [ -x /etc/init.d/mosquitto ] && /etc/init.d/mosquitto status >/dev/null 2>&1; then
		say "mosquitto: stopping the system service the package started"
		as_root /etc/init.d/mosquitto stop || true
	fi
	have_mosquitto || { say "mosquitto still not found after install" >&2; return 1; }
	say "mosquitto: installed ($(command -v mosquitto || echo /usr/sbin/mosquitto))"
}

install_influxd() {
	local bin="$root/.cache/bin/influxd"
	if [ -x "$bin" ]; then
		say "influxd: present ($bin)"
		return
	fi
	say "influxd: building InfluxDB $INFLUXDB_VERSION into .cache/bin (takes 2-3 minutes on 2 cores)"
	mkdir -p "$root/.cache/bin"
	GOBIN="$root/.cache/bin" go install "github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION"
	[ -x "$bin" ] || { say "influxd: go install finished but $bin is missing" >&2; return 1; }
	say "influxd: built ($bin)"
}

install_nats() {
	local bin="$root/.cache/bin/nats-server"
	if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "${NATS_VERSION#v}"; then
		say "nats-server: present ($bin)"
		return
	fi
	say "nats-server: building $NATS_VERSION into .cache/bin (about 30 s)"
	mkdir -p "$root/.cache/bin"
	GOBIN="$root/.cache/bin" go install "github.com/nats-io/nats-server/v2@$NATS_VERSION"
	[ -x "$bin" ] || { say "nats-server: go install finished but $bin is missing" >&2; return 1; }
	say "nats-server: built ($bin)"
}

install_chromium() {
	if command -v chromium >/dev/null 2>&1; then
		say "chromium: present ($(command -v chromium))"
		return
	fi
	say "chromium: installing with apt-get"
	as_root apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
	command -v chromium >/dev/null 2>&1 || { say "chromium still not found after install" >&2; return 1; }
	say "chromium: installed ($(command -v chromium))"
}

have_cjk_font() {
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -qi 'Noto Sans CJK'; }
}

install_cjk_fonts() {
	if have_cjk_font; then
		say "fonts-noto-cjk: present"
		return
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		say "fonts-noto-cjk is missing and this is not a Debian-like system: install a CJK font (Noto Sans CJK) by hand" >&2
		return 1
	fi
	say "fonts-noto-cjk: installing with apt-get"
	as_root apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-noto-cjk
	have_cjk_font || { say "fonts-noto-cjk still not found after install" >&2; return 1; }
	say "fonts-noto-cjk: installed"
}

install_promtool() {
	if command -v promtool >/dev/null 2>&1; then
		say "promtool: present ($(command -v promtool))"
		return
	fi
	say "promtool: installing the prometheus package with apt-get"
	# Keep the package from starting a Prometheus server (see mosquitto).
	local policy=/usr/sbin/policy-rc.d made_policy= rc=0
	if [ ! -e "$policy" ]; then
		as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
		made_policy=1
	fi
	as_root apt-get update || rc=$?
	if [ "$rc" -eq 0 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus || rc=$?
	fi
	if [ -n "$made_policy" ]; then
		as_root rm -f "$policy"
	fi
	[ "$rc" -eq 0 ] || { say "apt-get failed ($rc)" >&2; return "$rc"; }
	command -v promtool >/dev/null 2>&1 || { say "promtool still not found after install" >&2; return 1; }
	say "promtool: installed ($(command -v promtool))"
}

install_ffmpeg() {
	if command -v ffmpeg >/dev/null 2>&1; then
		say "ffmpeg: present ($(command -v ffmpeg))"
		return
	fi
	say "ffmpeg: installing with apt-get"
	as_root apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg
	command -v ffmpeg >/dev/null 2>&1 || { say "ffmpeg still not found after install" >&2; return 1; }
	say "ffmpeg: installed ($(command -v ffmpeg))"
}

have_gst_rtsp_server() {
	/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" >/dev/null 2>&1
}

install_gst_rtsp_server() {
	if have_gst_rtsp_server; then
		say "gst-rtsp-server: present"
		return
	fi
	say "gst-rtsp-server: installing python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad with apt-get"
	as_root apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
	have_gst_rtsp_server || { say "GstRtspServer still not importable by /usr/bin/python3 after install" >&2; return 1; }
	say "gst-rtsp-server: installed"
}

install_mosquitto_clients() {
	if command -v mosquitto_sub >/dev/null 2>&1 && command -v mosquitto_pub >/dev/null 2>&1; then
		say "mosquitto-clients: present ($(command -v mosquitto_sub))"
		return
	fi
	say "mosquitto-clients: installing with apt-get"
	as_root apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mosquitto-clients
	command -v mosquitto_sub >/dev/null 2>&1 || { say "mosquitto_sub still not found after install" >&2; return 1; }
	say "mosquitto-clients: installed ($(command -v mosquitto_sub))"
}

have_pymodbus() {
	/usr/bin/python3 -c 'import pymodbus.server, serial' >/dev/null 2>&1
}

have_libmodbus() {
	command -v cc >/dev/null 2>&1 && pkg-config --exists libmodbus 2>/dev/null
}

install_modbus_peers() {
	if have_pymodbus && have_libmodbus; then
		say "pymodbus, libmodbus: present"
		return
	fi
	say "pymodbus, libmodbus: installing python3-pymodbus libmodbus-dev gcc pkg-config with apt-get"
	as_root apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		python3-pymodbus python3-serial libmodbus-dev gcc libc6-dev pkg-config
	have_pymodbus || { say "pymodbus still not importable by /usr/bin/python3 after install" >&2; return 1; }
	have_libmodbus || { say "libmodbus (cc, pkg-config libmodbus) still missing after install" >&2; return 1; }
	say "pymodbus, libmodbus: installed"
}

install_mosquitto
install_mosquitto_clients
install_chromium
install_cjk_fonts
install_ffmpeg
install_gst_rtsp_server
install_promtool
install_modbus_peers
install_influxd
install_nats
say "done"
