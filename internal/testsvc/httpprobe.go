package testsvc

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// probeTimeout bounds one readiness probe of a service's HTTP endpoint.
const probeTimeout = 2 * time.Second

// probeStatus reports whether GET base+path answers want within
// probeTimeout; client nil is http.DefaultClient. It is the readiness
// check of services that have a health endpoint (influxd's /ping,
// nats-server's /healthz).
func probeStatus(ctx context.Context, client *http.Client, base, path string, want int) error {
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("GET %s: %s, want %d", path, resp.Status, want)
	}
	return nil
}
