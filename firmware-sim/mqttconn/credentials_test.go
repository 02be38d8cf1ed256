package mqttconn

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       map[string]string
		errs       []string // each must appear in the error
	}{
		{name: "good", file: "# id password\n\nlb-0001 s3cret\nwang\tpass with spaces  \n",
			want: map[string]string{"lb-0001": "s3cret", "wang": "pass with spaces"}},
		{name: "bad lines", file: "lb-0001\n+ x\nwang a\nwang b\n",
			errs: []string{":1: no password for lb-0001", `:2: "+" is not an id`, ":4: wang already has a password on line 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "creds")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadCredentials(path)
			if tc.errs == nil {
				if err != nil || !maps.Equal(got, tc.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; got %v", got)
			}
			for _, e := range tc.errs {
				if !strings.Contains(err.Error(), e) {
					t.Errorf("error %q lacks %q", err, e)
				}
			}
		})
	}
}

func TestDialAs(t *testing.T) {
	shared := Dial{Broker: "tcp://x:1", Username: "u", Password: "p"}
	if got := shared.As("lb-0001"); got.Username != "u" || got.Password != "p" {
		t.Errorf("shared dial As: %+v, want unchanged", got)
	}
	self := Dial{Broker: "tcp://x:1", Password: "default", PerID: true, Passwords: map[string]string{"wang": "w"}}
	for id, pw := range map[string]string{"wang": "w", "lb-0001": "default"} {
		if got := self.As(id); got.Username != id || got.Password != pw {
			t.Errorf("As(%s) = %s/%s, want %s/%s", id, got.Username, got.Password, id, pw)
		}
	}
}
