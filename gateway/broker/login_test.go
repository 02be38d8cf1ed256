package broker

import (
	"testing"

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
