package wire

import (
	"strings"
	"testing"
)

func TestDecodeReceipt(t *testing.T) {
	long := strings.Repeat("a", 201)
	for _, c := range []struct {
		name, payload, page string
		ok, err             bool
	}{
		{"receipt", `{"action":"received","page_id":"A01.0.wang"}`, "A01.0.wang", true, false},
		{"with alarm id", `{"action":"received","page_id":"A01.0.wang","alarm_id":"A01"}`, "A01.0.wang", true, false},
		{"long id", `{"action":"received","page_id":"` + strings.Repeat("a", 200) + `"}`, strings.Repeat("a", 200), true, false},
		{"an ack is not a receipt", `{"action":"ack","alarm_id":"A01"}`, "", false, false},
		{"no page id", `{"action":"received"}`, "", true, true},
		{"page id not a string", `{"action":"received","page_id":7}`, "", true, true},
		{"bad characters", `{"action":"received","page_id":"a/b"}`, "", true, true},
		{"too long", `{"action":"received","page_id":"` + long + `"}`, "", true, true},
		{"not json", `received`, "", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			page, ok, err := DecodeReceipt([]byte(c.payload))
			if page != c.page || ok != c.ok || (err != nil) != c.err {
				t.Errorf("DecodeReceipt(%s) = %q, %v, %v; want %q, %v, error %v", c.payload, page, ok, err, c.page, c.ok, c.err)
			}
		})
	}
}
