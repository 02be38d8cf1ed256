package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"time"
)

// session is a commissioning session as the API shows it (the simulator
// speaks the public contract; it does not import the gateway).
type session struct {
	ID        string               `json:"id"`
	StartedMS int64                `json:"started_ms"`
	ExpiresMS int64                `json:"expires_ms"`
	EndedMS   int64                `json:"ended_ms"`
	EndReason string               `json:"end_reason"`
	Devices   map[string]*csDevice `json:"devices"`
	Summary   map[string]int       `json:"summary"`
}

type csDevice struct {
	ID         string             `json:"id"`
	Kind       string             `json:"kind"`
	Grid       string             `json:"grid"`
	Name       string             `json:"name"`
	Expected   []string           `json:"expected"`
	Marks      map[string]*csMark `json:"marks"`
	Outcome    string             `json:"outcome"`
	Missing    []string           `json:"missing"`
	OutOfRange map[string]float64 `json:"out_of_range"`
	Released   bool               `json:"released"`
}

type csMark struct {
	OK        bool   `json:"ok"`
	AtMS      int64  `json:"at_ms"`
	Detail    string `json:"detail"`
	LatencyMS int64  `json:"latency_ms"`
}

// apiClient talks to the gateway's HTTP API with a bearer token, a login
// session (cookie and CSRF token) or, on a loopback gateway with auth
// off, as the console (optionally naming "by").
type apiClient struct {
	base  string
	token string
	csrf  string
	by    string
	http  *http.Client
}

func newAPIClient(base, token, by string) (*apiClient, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &apiClient{base: strings.TrimSuffix(base, "/"), token: token, by: by,
		http: &http.Client{Jar: jar, Timeout: 90 * time.Second}}, nil
}

// login opens a session as user.
func (c *apiClient) login(ctx context.Context, user, password string) error {
	var who struct {
		CSRF string `json:"csrf_token"`
	}
	if err := c.do(ctx, "POST", "/api/v1/session", map[string]string{"user": user, "password": password}, &who, http.StatusOK, http.StatusCreated); err != nil {
		return fmt.Errorf("login as %s: %w", user, err)
	}
	c.csrf = who.CSRF
	return nil
}

// apiError is a non-2xx answer.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.msg) }

func (c *apiClient) do(ctx context.Context, method, path string, body, out any, want ...int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	ok := false
	for _, w := range want {
		ok = ok || resp.StatusCode == w
	}
	if !ok {
		var e struct{ Error string }
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(raw))
		}
		return &apiError{code: resp.StatusCode, msg: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// startSession opens a commissioning session.
func (c *apiClient) startSession(ctx context.Context, devices []string, grid string, site bool, dur time.Duration, reason string) (session, error) {
	body := map[string]any{"duration": dur.String(), "reason": reason}
	switch {
	case site:
		body["site"] = true
	case grid != "":
		body["grid"] = grid
	default:
		body["devices"] = devices
	}
	if c.by != "" {
		body["by"] = c.by
	}
	var ss session
	err := c.do(ctx, "POST", "/api/v1/commissioning", body, &ss, http.StatusCreated)
	return ss, err
}

func (c *apiClient) session(ctx context.Context, id string) (session, error) {
	var ss session
	err := c.do(ctx, "GET", "/api/v1/commissioning/"+id, nil, &ss, http.StatusOK)
	return ss, err
}

func (c *apiClient) endSession(ctx context.Context, id string) (session, error) {
	var ss session
	err := c.do(ctx, "DELETE", "/api/v1/commissioning/"+id, nil, &ss, http.StatusOK)
	return ss, err
}

// command sends a device command and returns the gateway's answer.
func (c *apiClient) command(ctx context.Context, device, cmd string, args map[string]any) (outcome, msg string, err error) {
	body := map[string]any{"cmd": cmd, "args": args}
	if c.by != "" {
		body["by"] = c.by
	}
	var res struct {
		Outcome string `json:"outcome"`
		Error   string `json:"error"`
	}
	err = c.do(ctx, "POST", "/api/v1/devices/"+device+"/commands?wait=20s", body, &res, http.StatusOK, http.StatusGatewayTimeout)
	return res.Outcome, res.Error, err
}

// apiFlags are the flags of the commands that use the HTTP API.
type apiFlags struct {
	api, token, user, password, by *string
}

func addAPIFlags(fs *flag.FlagSet) apiFlags {
	return apiFlags{
		api:      fs.String("api", "http://127.0.0.1:8080", "the gateway's HTTP API"),
		token:    fs.String("token", "", "bearer token (or GRIDSIM_TOKEN)"),
		user:     fs.String("user", "", "log in as this user (staff id or config account)"),
		password: fs.String("password-http", "", "password of -user (or GRIDSIM_HTTP_PASSWORD)"),
		by:       fs.String("by", "", "with auth off: act as this staff member (else the local console)"),
	}
}

// client is the API client the flags (and the environment) describe,
// logged in with -user; a failed login is errLogin.
func (f apiFlags) client(ctx context.Context) (*apiClient, error) {
	token, password := *f.token, *f.password
	if token == "" {
		token = os.Getenv("GRIDSIM_TOKEN")
	}
	if password == "" {
		password = os.Getenv("GRIDSIM_HTTP_PASSWORD")
	}
	c, err := newAPIClient(*f.api, token, *f.by)
	if err != nil {
		return nil, err
	}
	if *f.user != "" {
		if err := c.login(ctx, *f.user, password); err != nil {
			return nil, fmt.Errorf("%w: %w", errLogin, err)
		}
	}
	return c, nil
}

var errLogin = errors.New("login refused")

// Broadcast sends an operator's broadcast (scenario steps).
func (c *apiClient) Broadcast(ctx context.Context, grid, text string) (string, error) {
	body := map[string]any{"grid": grid, "text": text}
	if c.by != "" {
		body["by"] = c.by
	}
	var b struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, "POST", "/api/v1/broadcasts", body, &b, http.StatusCreated)
	return b.ID, err
}
