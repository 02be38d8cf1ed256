package testsvc

import "testing"

// CountyView prepares, without starting, the county view `bin county
// -config config` whose HTTP listener is httpAddr (host:port, as in the
// config). Start waits until its GET /readyz answers 200: it is connected
// and subscribed to the county cluster.
func CountyView(t testing.TB, bin, config, httpAddr string) *Gateway {
	t.Helper()
	g := &Gateway{HTTP: "http://" + httpAddr}
	g.d = newDaemon(t, "gridwatchd-county", bin, t.TempDir(), []string{"county", "-config", config}, g.readyz())
	return g
}
