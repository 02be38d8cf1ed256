package countyconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func load(t *testing.T, name string, vars map[string]string) (*Config, error) {
	t.Helper()
	path := filepath.Join("testdata", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parse(path, data, env(vars))
}

func TestGood(t *testing.T) {
	c, err := load(t, "good.yaml", map[string]string{"GRIDWATCH_TEST_COUNTY_PW": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if c.County != "qx" || c.MQTT.Password != "pw" || c.HTTP.Listen != "127.0.0.1:8090" || c.ReplyTimeout.Seconds() != 5 || len(c.MQTT.URLs) != 2 {
		t.Errorf("config = %+v", c)
	}
	reg := c.Registry()
	cmd, ok := reg.Staff("cmd1")
	if !ok || cmd.Role != registry.CommandCenter || len(cmd.Grids) != 1 || cmd.Grids[0] != "qx" || cmd.PasswordHash == "" {
		t.Errorf("cmd1 = %+v %v; want command_center serving the root cell qx", cmd, ok)
	}
	if pol, ok := reg.Staff("pol1"); !ok || pol.Grids[0] != "street-1" {
		t.Errorf("pol1 = %+v", pol)
	}

	c, err = load(t, "good-minimal.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Registry().Grid("qx"); !ok || c.ReplyTimeout != DefaultReplyTimeout || !c.AuthEnabled() {
		t.Errorf("minimal: defaults not filled: %+v", c)
	}
}

func TestBad(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string // each a line of the error
	}{
		{"bad.yaml", []string{
			`bad.yaml:1: county: "q x"`,
			`bad.yaml:3: http.listen: "nowhere"`,
			`bad.yaml:5: mqtt.url: "http://broker"`,
			`bad.yaml:6: mqtt.urls[1]: "nats://x"`,
			`mqtt.tls.cert:`,
			`bad.yaml:12: staff cmd1: unknown grid "nowhere"`,
			`bad.yaml:13: reply_timeout: 1h0m0s`,
		}},
		{"bad-decode.yaml", []string{`bad-decode.yaml:3: `, `uplink`}},
		{"bad-role.yaml", []string{`bad-role.yaml:6: staff: staff m1: role "grid_member"`}},
		{"good.yaml", []string{`mqtt.password: environment variable GRIDWATCH_TEST_COUNTY_PW is not set`}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := load(t, tc.file, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
