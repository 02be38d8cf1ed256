package mqttconn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		broker, want string
	}{
		{"tcp://127.0.0.1:1883", ""},
		{"ssl://mqtt.example.org:8883", ""},
		{"ws://127.0.0.1:8080/mqtt", ""},
		{"", "empty"},
		{"127.0.0.1:1883", "like tcp://"},
		{"http://127.0.0.1:1883", "scheme must be"},
		{"tcp://", "no host"},
	}
	for _, tc := range tests {
		t.Run(tc.broker, func(t *testing.T) {
			err := Dial{Broker: tc.broker}.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate(%q) = %v, want %q", tc.broker, err, tc.want)
			}
		})
	}
}

// token is a paho.Token the test completes (or not).
type token struct {
	done chan struct{}
	err  error
}

func (t *token) Wait() bool                       { <-t.done; return true }
func (t *token) WaitTimeout(d time.Duration) bool { return false }
func (t *token) Done() <-chan struct{}            { return t.done }
func (t *token) Error() error                     { return t.err }

func TestWaitIsBounded(t *testing.T) {
	never := &token{done: make(chan struct{})}
	failed := &token{done: make(chan struct{}), err: errors.New("refused")}
	close(failed.done)
	ok := &token{done: make(chan struct{})}
	close(ok.done)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		ctx  context.Context
		tok  *token
		want string
	}{
		{"completes", context.Background(), ok, ""},
		{"fails", context.Background(), failed, "publish x: refused"},
		{"never answers", context.Background(), never, "no answer from the broker within 20ms"},
		{"cancelled", cancelled, never, "context canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Wait(tc.ctx, tc.tok, 20*time.Millisecond, "publish x")
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Wait = %v, want %q", err, tc.want)
			}
		})
	}
}
