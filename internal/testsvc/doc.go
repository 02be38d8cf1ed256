// Package testsvc starts real services for tests: a private Mosquitto
// broker, a private InfluxDB 1.8 and a private NATS cluster (JetStream and
// MQTT, the county tier's test broker), each on free loopback ports, with its
// configuration, data and logs in the test's temporary directory, stopped
// (and killed if it will not stop) when the test ends.
//
// A service whose binary cannot be found skips the test with a clear
// message, unless GRIDWATCH_REQUIRE_SERVICES=1 is set (as `make test` and CI
// do), when it fails the test instead: a required service must never turn
// into a silently skipped test.
//
// Binaries are looked up as follows. Mosquitto: $GRIDWATCH_MOSQUITTO, else
// mosquitto on PATH, else /usr/sbin/mosquitto. InfluxDB: $GRIDWATCH_INFLUXD,
// else .cache/bin/influxd in the module root (found by walking up from the
// working directory to go.mod), else influxd on PATH. NATS:
// $GRIDWATCH_NATS, else .cache/bin/nats-server in the module root, else
// nats-server on PATH. scripts/test-deps.sh installs all three.
//
// Independent Modbus implementations for interop tests: PyModbus finds a
// Python 3 that imports pymodbus ($GRIDWATCH_PYTHON, else /usr/bin/python3,
// else python3 on PATH); BuildLibmodbus compiles a test's C source against
// libmodbus with cc and pkg-config. They are missing services like the
// others: a skip, or a failure under GRIDWATCH_REQUIRE_SERVICES=1.
//
// Start and Stop of a service and the helpers that take a testing.TB must
// be called from the test's own goroutine, as t.Fatal requires.
package testsvc
