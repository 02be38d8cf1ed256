package broker

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestLoginsAreCheckedAndCounted: registry hashes let devices in; wrong
// passwords, unknown users and usernames that are not ids ("+", "#",
// "a/b" would be wildcards in the ACL) are refused and counted.
func TestLoginsAreCheckedAndCounted(t *testing.T) {
	sb := newSecurityBroker(t)
	ok := startSub(t, sb.addr, "-i", "lb-0001", "-u", "lb-0001", "-P", "pw-lb-0001", "-t", "gridwatch/v1/dev/lb-0001/cmd")
	if !ok.connected() {
		t.Fatalf("a device with its registry password was refused:\n%s", ok.output())
	}
	for _, tc := range []struct{ name, user, pass, reason string }{
		{"wrong password", "lb-0002", "pw-lb-0001", "bad_login"},
		{"unknown user", "lb-9999", "pw", "bad_login"},
		{"no password", "lb-0002", "", "bad_login"},
		{"plus", "+", "pw", "bad_username"},
		{"hash", "#", "pw", "bad_username"},
		{"slash", "a/b", "pw", "bad_username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := sb.refused(tc.reason)
			args := []string{"-i", "c-" + tc.reason, "-u", tc.user, "-t", "x"}
			if tc.pass != "" {
				args = append(args, "-P", tc.pass)
			}
			s := startSub(t, sb.addr, args...)
			if s.connected() {
				t.Fatal("let in")
			}
			if got := sb.refused(tc.reason); got != before+1 {
				t.Errorf("refused_total{reason=%s} = %v, want %v", tc.reason, got, before+1)
			}
		})
	}
	testsvc.LintGathered(t, sb.reg)
}

// TestPlainPasswordsStillWorkWithAWarning: a config written before hashes
// keeps working, and every start says which users still have a clear-text
// password.
func TestPlainPasswordsStillWorkWithAWarning(t *testing.T) {
	logs := &testlog.Buffer{}
	addr := freeAddr(t)
	startBroker(t, Config{Listen: addr, Handler: &recorder{}, TopicRoot: "gridwatch/v1",
		Users: plainUsers("bench-01", "s3cret"), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if !strings.Contains(logs.String(), "plain-text password") || !strings.Contains(logs.String(), "user=bench-01") {
		t.Errorf("no warning about bench-01's plain-text password:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Error("the password itself was logged")
	}
	c := startSub(t, addr, "-i", "bench-01", "-u", "bench-01", "-P", "s3cret", "-t", "gridwatch/v1/dev/bench-01/cmd")
	if !c.connected() {
		t.Fatalf("a plain-text password no longer works:\n%s", c.output())
	}
}
