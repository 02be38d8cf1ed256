package problem

import (
	"errors"
	"testing"
)

func TestString(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{"r.yaml", 14, "device lb-0001", `unknown grid "x"`}, `r.yaml:14: device lb-0001: unknown grid "x"`},
		{Problem{"r.yaml", 0, "", "bad"}, "r.yaml: bad"},
		{Problem{"", 0, "http.auth", "no"}, "http.auth: no"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestSorted(t *testing.T) {
	if Sorted(nil) != nil {
		t.Fatal("no problems must be no error")
	}
	err := Sorted([]Problem{{Line: 0, Msg: "a"}, {Line: 9, Msg: "b"}, {Line: 2, Msg: "c"}, {Line: 2, Msg: "d"}})
	var e *Errors
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *Errors", err)
	}
	if got := err.Error(); got != "c\nd\nb\na" {
		t.Errorf("order: %q", got)
	}
}
