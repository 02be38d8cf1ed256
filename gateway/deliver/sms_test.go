package deliver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// smsGateway records the last request and answers with answer.
type smsGateway struct {
	answer string

	mu                        sync.Mutex
	method, query, auth, body string
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.method, g.query, g.auth, g.body = r.Method, r.URL.RawQuery, r.Header.Get("Authorization"), string(b)
	g.mu.Unlock()
	_, _ = io.WriteString(w, g.answer)
}

func phones(staff string) (string, bool) {
	p, ok := map[string]string{"wang": "+86 138 0000 0001"}[staff]
	return p, ok
}

func newSMS(t *testing.T, url string, check *SMSCheck) *SMS {
	t.Helper()
	s, err := NewSMS(SMSConfig{
		URL:     url + "/send?to={{urlquery .Phone}}",
		Method:  http.MethodPut,
		Headers: map[string]string{"Authorization": "Bearer k-{{.Staff}}"},
		Body:    `{"to":{{json .Phone}},"text":{{json .Text}},"alarm":{{json .Note.AlarmID}}}`,
		Phone:   phones,
		Check:   check,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMSRendersAndPosts(t *testing.T) {
	g := &smsGateway{answer: `{"result":{"code":0}}`}
	srv := httptest.NewServer(g)
	defer srv.Close()
	s := newSMS(t, srv.URL, &SMSCheck{Field: "result.code", Equals: "0"})
	if err := s.Send(t.Context(), "wang", note("a1")); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	wantBody := `{"to":"+86 138 0000 0001","text":"[RED] Panic button · 莲花路12号 (lh-g4-07) · a1","alarm":"a1"}`
	if g.body != wantBody {
		t.Errorf("body\n got %s\nwant %s", g.body, wantBody)
	}
	if g.method != http.MethodPut || g.query != "to=%2B86+138+0000+0001" || g.auth != "Bearer k-wang" {
		t.Errorf("method %s, query %q, auth %q", g.method, g.query, g.auth)
	}
}

func TestSMSFailures(t *testing.T) {
	tests := []struct {
		name      string
		answer    string
		staff     string
		permanent bool
	}{
		{"check field has another value", `{"result":{"code":17}}`, "wang", true},
		{"check field missing", `{"ok":true}`, "wang", false},
		{"answer not JSON", `accepted`, "wang", false},
		{"no phone number", `{"result":{"code":0}}`, "zhao", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&smsGateway{answer: tt.answer})
			defer srv.Close()
			err := newSMS(t, srv.URL, &SMSCheck{Field: "result.code", Equals: "0"}).Send(t.Context(), tt.staff, note("a1"))
			if err == nil || IsPermanent(err) != tt.permanent {
				t.Errorf("Send = %v (permanent %v), want a failure with permanent=%v", err, IsPermanent(err), tt.permanent)
			}
		})
	}
}

func TestNewSMSBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  SMSConfig
		want []string
	}{
		{"empty", SMSConfig{}, []string{"no url", "no body template", "no phone lookup"}},
		{"bad template", SMSConfig{URL: "http://x/{{.Phone", Body: "{{json}", Phone: phones}, []string{"url template", "body template"}},
		{"check without field", SMSConfig{URL: "http://x", Body: "b", Phone: phones, Check: &SMSCheck{}}, []string{"check has no field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSMS(tt.cfg)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("NewSMS = %v, want an error containing %q", err, w)
				}
			}
		})
	}
}

func TestSMSBadRenderedURLIsPermanent(t *testing.T) {
	s, err := NewSMS(SMSConfig{URL: "{{.Phone}}", Body: "x", Phone: phones})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), "wang", note("a1")); !IsPermanent(err) {
		t.Errorf("Send to a non-URL = %v, want a permanent failure", err)
	}
}
