package deliver

import (
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/internal/testlog"
)

// TestLedgerLogsSayWhatHappens: where there is no SMS to fall back to,
// the ledger's logs say what becomes of the page (it stays with the app,
// which keeps getting it) and why, as information when the site simply
// has no SMS gateway; they never say a page "falls back" to a channel it
// does not go to. A person without a phone number where SMS is set up is
// a warning.
func TestLedgerLogsSayWhatHappens(t *testing.T) {
	for _, tc := range []struct {
		name     string
		staff    string
		noSMS    bool
		channels []string
		want     []string // in one log line
	}{
		{"no SMS gateway, app not confirming", "wang", true, nil,
			[]string{"level=INFO", "stays with the app and is re-sent until confirmed", `why="no SMS gateway configured (sms:)"`}},
		{"no SMS gateway, SMS first", "wang", true, []string{"sms", "app"},
			[]string{"level=INFO", "page goes to the phone app", `why="no SMS gateway configured (sms:)"`}},
		{"SMS set up, no phone number", "li", false, nil,
			[]string{"level=WARN", "stays with the app", `why="no phone number in the registry"`}},
		{"SMS set up, not in the person's channels", "wang", false, []string{"app"},
			[]string{"level=INFO", "stays with the app", `why="SMS is not among the person's channels after app"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs testlog.Buffer
				r := openRig(t, filepath.Join(t.TempDir(), "pages.db"), func(c *LedgerConfig) {
					c.FallbackAfter = 30 * time.Second
					c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
					if tc.noSMS {
						c.SMS = nil
					}
					if tc.channels != nil {
						c.Channels = func(string) []string { return tc.channels }
					}
				})
				defer r.stop(t)
				if _, err := r.l.NotifyVia(t.Context(), tc.staff, page("A1", 0, tc.staff)); err != nil {
					t.Fatal(err)
				}
				time.Sleep(31 * time.Second)
				synctest.Wait()
				if len(r.sms.got()) != 0 {
					t.Fatalf("SMS sent: %v", r.sms.got())
				}
				if lines := logs.Lines(tc.want...); len(lines) == 0 {
					t.Errorf("no log line with %q:\n%s", tc.want, logs.String())
				}
				for _, misleading := range []string{"falls back", "fallback failed"} {
					if lines := logs.Lines(misleading); len(lines) != 0 {
						t.Errorf("misleading log: %v", lines)
					}
				}
			})
		})
	}
}
