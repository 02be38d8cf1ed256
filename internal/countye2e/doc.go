// Package countye2e is the county tier end to end, with real processes:
// a 3-node NATS cluster (JetStream + MQTT) with deploy/county's accounts
// and permissions, three community gateways (gridwatchd with an uplink,
// each with its own embedded broker, light boxes and staff phones), and
// two county views (gridwatchd county), all reaching the cluster through
// a small load balancer as deploy/county's HAProxy does. The code is all
// in tests; this file only names the package.
//
// `go test ./internal/countye2e/` runs the short variant (a 10 s cut of
// one gateway's link); GRIDWATCH_COUNTYE2E=full (`make chaos`) cuts it for
// two minutes, as the issue asks.
package countye2e
