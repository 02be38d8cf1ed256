package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// silentDevice never answers: Command returns when its wait ends.
type silentDevice struct{}

func (silentDevice) Command(ctx context.Context, _ permit.Caller, c event.Command) (CommandResult, error) {
	<-ctx.Done()
	return CommandResult{ID: "c1", Device: c.Device, Cmd: c.Cmd, Outcome: "timeout", SentMS: 1}, nil
}

// TestCommandWaitOutlivesTheWriteTimeout: a caller who asks to wait for a
// device's ack longer than the server's write timeout still gets the 504
// that says no ack came, not a dropped connection.
func TestCommandWaitOutlivesTheWriteTimeout(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Commands = silentDevice{} }))
	s.limits.read, s.limits.write = 200*time.Millisecond, 200*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)

	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/v1/devices/lb-0001/commands?wait=700ms", strings.NewReader(`{"cmd":"strobe"}`))
	req.Header.Set("Authorization", "Bearer "+wangToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v (the answer was cut off)", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var res CommandResult
	if resp.StatusCode != http.StatusGatewayTimeout || json.Unmarshal(body, &res) != nil || res.Outcome != "timeout" || !strings.Contains(res.Error, "700ms") {
		t.Fatalf("%d %s, want 504 with outcome timeout", resp.StatusCode, body)
	}
}
