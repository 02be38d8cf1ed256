package countywire

import "testing"

func TestSiteOf(t *testing.T) {
	tp := Topics{County: "qx", Site: "lianhua"}
	for _, tc := range []struct {
		topic, site, rest string
		ok                bool
	}{
		{tp.Events(), "lianhua", "events", true},
		{tp.Alarm("a-1"), "lianhua", "alarm/a-1", true},
		{"gridwatch/v1/county/other/site/x/events", "", "", false},
		{"gridwatch/v1/county/qx/site//events", "", "events", false},
	} {
		site, rest, ok := SiteOf("qx", tc.topic)
		if ok != tc.ok || (ok && (site != tc.site || rest != tc.rest)) {
			t.Errorf("SiteOf(%q) = %q %q %v, want %q %q %v", tc.topic, site, rest, ok, tc.site, tc.rest, tc.ok)
		}
	}
}

func TestRequestCheck(t *testing.T) {
	for _, good := range []Request{
		{ID: "r1", By: "cmd1", Action: ActAck, AlarmID: "a1"},
		{ID: "r2", By: "cmd1", Action: ActEmergency, Grid: "g"},
		{ID: "r3", By: "cmd1", Action: ActEmergency, WholeSite: true},
	} {
		if err := good.Check(); err != nil {
			t.Fatalf("good request %+v: %v", good, err)
		}
	}
	for name, r := range map[string]Request{
		"no id":                {By: "cmd1", Action: ActAck, AlarmID: "a1"},
		"no by":                {ID: "r", Action: ActAck, AlarmID: "a1"},
		"no alarm":             {ID: "r", By: "cmd1", Action: ActResolve},
		"no grid":              {ID: "r", By: "cmd1", Action: ActEmergency},
		"grid and whole site":  {ID: "r", By: "cmd1", Action: ActEmergency, Grid: "g", WholeSite: true},
		"whole-site broadcast": {ID: "r", By: "cmd1", Action: ActBroadcast, Text: "x", WholeSite: true},
		"no text":              {ID: "r", By: "cmd1", Action: ActBroadcast, Grid: "g"},
		"bad action":           {ID: "r", By: "cmd1", Action: "delete"},
	} {
		if r.Check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
