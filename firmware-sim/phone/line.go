package phone

import (
	"fmt"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Line renders one notification as a phone's one-line summary: receipt
// time, staff, severity, step, title, device, grid, deadline and alarm id.
// Times are shown in the location of at.
func Line(staff string, n event.Notification, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %-6s step %d", at.Format("15:04:05.000"), staff, strings.ToUpper(string(n.Severity)), n.Step)
	if n.Late {
		b.WriteString(" LATE")
	}
	fmt.Fprintf(&b, "  %q  device %s", n.Title, n.Device)
	if n.DeviceName != "" {
		fmt.Fprintf(&b, " (%s)", n.DeviceName)
	}
	fmt.Fprintf(&b, "  grid %s", n.Grid)
	if n.GridName != "" {
		fmt.Fprintf(&b, " (%s)", n.GridName)
	}
	if n.DeadlineMS > 0 {
		dl := time.UnixMilli(n.DeadlineMS).In(at.Location())
		fmt.Fprintf(&b, "  deadline %s (%s)", dl.Format("15:04:05"), signed(dl.Sub(at).Round(time.Second)))
	} else {
		b.WriteString("  no deadline")
	}
	if n.Count > 1 {
		fmt.Fprintf(&b, "  x%d", n.Count)
	}
	if n.Clip != "" {
		fmt.Fprintf(&b, "  clip %s", n.Clip)
	}
	fmt.Fprintf(&b, "  alarm %s", n.AlarmID)
	return b.String()
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "in " + d.String()
	}
	return (-d).String() + " ago"
}
