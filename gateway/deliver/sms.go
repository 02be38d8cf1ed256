package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/template"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// SMSConfig configures an SMS (or voice) channel through an HTTP gateway,
// so that a real provider is one config block. URL, Body and Phone are
// required.
//
// URL, header values and Body are text/templates executed with an SMSData;
// besides the built-in functions (urlquery, html, …) they may call json,
// which quotes a value as JSON: {"to": {{json .Phone}}, "text": {{json .Text}}}.
type SMSConfig struct {
	// Name labels the channel; "" means "sms".
	Name string
	// URL template of the gateway (http or https once rendered).
	URL string
	// Method is the HTTP method; "" means POST.
	Method string
	// Headers are templates of request headers (Content-Type, an API key).
	Headers map[string]string
	// Body template of the request.
	Body string
	// Phone looks up a staff member's phone number; a staff member without
	// one fails permanently.
	Phone func(staffID string) (string, bool)
	// Check, if set, looks into a 2xx JSON answer as well: the field at the
	// dotted path Field must equal Equals (compared as text), or the send
	// fails (permanently when the field is there with another value).
	Check *SMSCheck
	// Client sends the requests; nil means one with DefaultHTTPTimeout.
	Client *http.Client
}

// SMSCheck is a field of the gateway's JSON answer that says it accepted
// the message, such as {Field: "result.code", Equals: "0"}.
type SMSCheck struct {
	Field  string
	Equals string
}

// SMSData is what the templates of an SMSConfig see.
type SMSData struct {
	Staff string
	Phone string
	// Note is the notification itself.
	Note event.Notification
	// Text is a short message ready to send: "[RED] title · device (grid) · alarm id".
	Text string
}

// SMS sends notifications through an HTTP SMS gateway.
type SMS struct {
	cfg     SMSConfig
	url     *template.Template
	body    *template.Template
	headers map[string]*template.Template
	client  *http.Client
}

var _ Channel = (*SMS)(nil)

// NewSMS checks cfg, parses its templates and makes an SMS channel.
func NewSMS(cfg SMSConfig) (*SMS, error) {
	s := &SMS{cfg: cfg, headers: make(map[string]*template.Template)}
	var errs []error
	parse := func(what, text string) *template.Template {
		t, err := template.New(what).Funcs(template.FuncMap{"json": jsonQuote}).Option("missingkey=error").Parse(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("sms: %s template: %w", what, err))
		}
		return t
	}
	if cfg.URL == "" {
		errs = append(errs, errors.New("sms: no url"))
	}
	if cfg.Body == "" {
		errs = append(errs, errors.New("sms: no body template"))
	}
	if cfg.Phone == nil {
		errs = append(errs, errors.New("sms: no phone lookup"))
	}
	if cfg.Check != nil && cfg.Check.Field == "" {
		errs = append(errs, errors.New("sms: check has no field"))
	}
	s.url = parse("url", cfg.URL)
	s.body = parse("body", cfg.Body)
	for k, v := range cfg.Headers {
		s.headers[k] = parse("header "+k, v)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if s.cfg.Name == "" {
		s.cfg.Name = "sms"
	}
	if s.cfg.Method == "" {
		s.cfg.Method = http.MethodPost
	}
	s.client = noRedirects(cfg.Client)
	return s, nil
}

// Name labels the channel.
func (s *SMS) Name() string { return s.cfg.Name }

// Send renders the request for staffID and sends it. 2xx (and the Check,
// if any) is success; 408, 429, 5xx and network errors are worth a retry;
// anything else fails permanently.
func (s *SMS) Send(ctx context.Context, staffID string, n event.Notification) error {
	phone, ok := s.cfg.Phone(staffID)
	if !ok || phone == "" {
		return Permanent(fmt.Errorf("sms: staff %s has no phone number", staffID))
	}
	d := SMSData{Staff: staffID, Phone: phone, Note: n, Text: Text(n)}
	u, err := render(s.url, d)
	if err == nil {
		err = checkURL(u)
	}
	if err != nil {
		return Permanent(fmt.Errorf("sms: url: %w", err))
	}
	body, err := render(s.body, d)
	if err != nil {
		return Permanent(fmt.Errorf("sms: body: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, s.cfg.Method, u, strings.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("sms: %w", err))
	}
	for k, t := range s.headers {
		v, err := render(t, d)
		if err != nil {
			return Permanent(fmt.Errorf("sms: header %s: %w", k, err))
		}
		req.Header.Set(k, v)
	}
	answer, err := do(s.client, req)
	if err != nil {
		return fmt.Errorf("sms %s to %s: %w", s.cfg.Name, staffID, err)
	}
	if s.cfg.Check != nil {
		if err := s.cfg.Check.check(answer); err != nil {
			return fmt.Errorf("sms %s to %s: %w", s.cfg.Name, staffID, err)
		}
	}
	return nil
}

// Text is the short human message for n used by SMS and voice:
// "[RED] title · device name (grid name) · alarm id", late steps marked.
func Text(n event.Notification) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", strings.ToUpper(string(n.Severity)), n.Title)
	dev := n.DeviceName
	if dev == "" {
		dev = n.Device
	}
	grid := n.GridName
	if grid == "" {
		grid = n.Grid
	}
	fmt.Fprintf(&b, " · %s (%s) · %s", dev, grid, n.AlarmID)
	if n.Late {
		b.WriteString(" · late")
	}
	return b.String()
}

// check looks for the success field in a JSON answer.
func (c *SMSCheck) check(answer []byte) error {
	var v any
	if err := json.Unmarshal(answer, &v); err != nil {
		return fmt.Errorf("answer is not JSON (%d bytes): %w", len(answer), err)
	}
	for _, part := range strings.Split(c.Field, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("answer has no field %q", c.Field)
		}
		if v, ok = m[part]; !ok {
			return fmt.Errorf("answer has no field %q", c.Field)
		}
	}
	got := fmt.Sprint(v)
	if s, ok := v.(string); ok {
		got = s
	}
	if got != c.Equals {
		return Permanent(fmt.Errorf("answer field %q is %q, want %q", c.Field, got, c.Equals))
	}
	return nil
}

// render executes t with d.
func render(t *template.Template, d SMSData) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// jsonQuote is the templates' json function.
func jsonQuote(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
