package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPprofServesOnLoopbackOnly(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, bad := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "nohost"} {
		if _, err := listenPprof(bad, log); err == nil {
			t.Errorf("-pprof %s accepted", bad)
		}
	}
	p, err := listenPprof("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get("http://" + p.Addr() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("GET goroutine profile: %s %.200s", resp.Status, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := c.Get("http://" + p.Addr() + "/debug/pprof/"); err == nil {
		t.Fatal("still serving after its context ended")
	}
}
