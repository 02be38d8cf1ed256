package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// DefaultHTTPTimeout bounds one HTTP request of a Webhook or an SMS
// gateway when no Client is given.
const DefaultHTTPTimeout = 10 * time.Second

// errBodyLimit bounds how much of an error response is read into the error.
const errBodyLimit = 512

// WebhookConfig configures a Webhook. URL and Secret are required.
type WebhookConfig struct {
	// Name labels the channel; "" means "webhook".
	Name string
	// URL receives the POSTs (http or https).
	URL string
	// Secret keys the HMAC-SHA256 signature.
	Secret []byte
	// Headers are added to every request (an API key, say).
	Headers map[string]string
	// Client sends the requests; nil means one with DefaultHTTPTimeout.
	// Redirects are never followed: a 3xx fails permanently.
	Client *http.Client
	// Now is the clock for the timestamp header; nil means time.Now.
	Now func() time.Time
}

// Webhook POSTs notifications as signed JSON to one URL.
type Webhook struct {
	cfg    WebhookConfig
	client *http.Client
}

var _ Channel = (*Webhook)(nil)

// WebhookBody is the JSON a webhook receives: the notification's fields
// (the MQTT contract's names) and the staff member it is for.
type WebhookBody struct {
	Staff string `json:"staff"`
	event.Notification
}

// NewWebhook checks cfg and makes a Webhook.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	var errs []error
	if err := checkURL(cfg.URL); err != nil {
		errs = append(errs, fmt.Errorf("webhook: %w", err))
	}
	if len(cfg.Secret) == 0 {
		errs = append(errs, errors.New("webhook: no secret"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "webhook"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Webhook{cfg: cfg, client: noRedirects(cfg.Client)}, nil
}

// Name labels the channel.
func (w *Webhook) Name() string { return w.cfg.Name }

// Send POSTs the notification for staffID. 2xx is success; 408, 429, 5xx
// and network errors are worth a retry; any other status fails
// permanently.
func (w *Webhook) Send(ctx context.Context, staffID string, n event.Notification) error {
	body, err := json.Marshal(WebhookBody{Staff: staffID, Notification: n})
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encode notification %s for %s: %w", n.AlarmID, staffID, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("webhook: %w", err))
	}
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	ts := w.cfg.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, fmt.Sprint(ts))
	req.Header.Set(HeaderSignature, Sign(w.cfg.Secret, ts, body))
	_, err = do(w.client, req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.cfg.Name, err)
	}
	return nil
}

// checkURL accepts absolute http and https URLs.
func checkURL(s string) error {
	if s == "" {
		return errors.New("no url")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("bad url %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bad url %q: want http:// or https:// and a host", s)
	}
	return nil
}

// noRedirects returns a copy of c (or a default client) that does not
// follow redirects: a POST turned into a GET delivers nothing.
func noRedirects(c *http.Client) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	} else {
		cc.Timeout = DefaultHTTPTimeout
	}
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// do sends req and classifies the answer: the body of a 2xx response is
// returned (up to 64 KiB); 408, 429 and 5xx are retryable errors, any
// other status a permanent one.
func do(c *http.Client, req *http.Request) ([]byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, where(req), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			return nil, fmt.Errorf("%s %s: read response: %w", req.Method, where(req), err)
		}
		return b, nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, errBodyLimit))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	err = fmt.Errorf("%s %s: %s: %q", req.Method, where(req), resp.Status, bytes.TrimSpace(snippet))
	switch s := resp.StatusCode; {
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
		return nil, err
	default:
		return nil, Permanent(err)
	}
}

// where names a request's target without its query or credentials, which
// may hold an API key.
func where(req *http.Request) string {
	return req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
}
