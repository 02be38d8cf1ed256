package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// step is what the installer is asked to do for one check, in Chinese
// and English; "" means the check comes by itself (a heartbeat, telemetry).
var steps = map[string][2]string{
	"press":   {"按下 %s 的报警按钮", "press the button on %s now"},
	"tamper":  {"打开 %s 的箱门（防拆开关）", "open the tamper switch of %s"},
	"mains":   {"断开 %s 的市电，再恢复供电", "cut the mains of %s, then restore it"},
	"card":    {"在 %s 上刷卡", "swipe a card on %s"},
	"door":    {"打开并关上 %s 的门", "open and close the door of %s"},
	"cover":   {"遮挡 %s 的镜头", "cover %s"},
	"command": {"正在测试 %s 的爆闪灯，请观察", "testing the strobe of %s: watch it flash"},
}

// checkNames are the checks' names in the report.
var checkNames = map[string]string{
	"heartbeat": "心跳", "press": "报警按钮", "tamper": "防拆", "mains": "市电断开/恢复", "card": "刷卡",
	"door": "门磁", "command": "命令应答", "battery": "电池电压", "signal": "信号强度", "stream": "视频流",
	"cover": "镜头遮挡", "grid": "所属网格",
}

func cmdCommission(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("commission", "commission [-api URL] [-token T | -user U -password P] [-grid G | -site | DEVICE... | -session ID] [-report F.html]", stderr)
	af := addAPIFlags(fs)
	grid := fs.String("grid", "", "commission every device of this grid's subtree")
	site := fs.Bool("site", false, "commission every device of the site")
	dur := fs.Duration("duration", 2*time.Hour, "the session's length; test mode ends with it")
	reason := fs.String("reason", "现场调试", "why, for the record")
	report := fs.String("report", "", "write the report as a printable HTML file (zh-CN) here (default commissioning-<session>.html)")
	poll := fs.Duration("poll", time.Second, "how often to read the session's progress")
	resume := fs.String("session", "", "go on with this live session (after gridsim was cut off: the session and its test mode stay until it ends)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if n := btoi(len(pos) > 0) + btoi(*grid != "") + btoi(*site) + btoi(*resume != ""); n != 1 {
		fmt.Fprintln(stderr, "gridsim commission: name devices, or give -grid, -site or -session (exactly one)")
		return exitUsage
	}
	c, err := af.client(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim commission: %v\n", err)
		if errors.Is(err, errLogin) {
			return exitFail
		}
		return exitUsage
	}
	var ss session
	if *resume != "" {
		ss, err = c.session(ctx, *resume)
		if err == nil && ss.EndedMS != 0 {
			err = fmt.Errorf("session %s has ended (%s); start a new one", ss.ID, ss.EndReason)
		}
		if err != nil {
			fmt.Fprintf(stderr, "gridsim commission: resume: %v\n", err)
			return exitFail
		}
	} else if ss, err = c.startSession(ctx, pos, *grid, *site, *dur, *reason); err != nil {
		fmt.Fprintf(stderr, "gridsim commission: start: %v\n", err)
		var busy *apiError
		if errors.As(err, &busy) && busy.code == http.StatusConflict {
			fmt.Fprintln(stderr, "gridsim commission: to go on with that session, give -session and its id")
		}
		return exitFail
	}
	fmt.Fprintf(stdout, "调试会话 session %s: %d 台设备 devices, 测试模式至 test mode until %s\n", ss.ID, len(ss.Devices),
		time.UnixMilli(ss.ExpiresMS).Format("15:04:05"))
	fmt.Fprintln(stdout, "按 Enter 跳过当前设备，最后再回来 (Enter skips the current device until the others are done); Ctrl-C 结束 (Ctrl-C ends the session)")

	w := &walk{c: c, out: stdout, seen: map[string]bool{}, asked: map[string]bool{}, skipped: map[string]bool{}}
	w.run(ctx, ss, *poll, skipLines())

	// End the session even when ctx is done (Ctrl-C).
	ectx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	final, err := c.endSession(ectx, ss.ID)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim commission: end session %s: %v\n", ss.ID, err)
		return exitFail
	}
	printReport(stdout, final)
	path := *report
	if path == "" {
		path = "commissioning-" + final.ID + ".html"
	}
	if err := writeHTMLReport(path, final); err != nil {
		fmt.Fprintf(stderr, "gridsim commission: report: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "报告 report: %s\n", path)
	if final.Summary["passed"] != len(final.Devices) {
		return exitFail
	}
	return exitOK
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// skipLines are the lines typed on a terminal; nil when stdin is none.
func skipLines() <-chan struct{} {
	st, err := os.Stdin.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	ch := make(chan struct{})
	go func() { // ends with the process: a terminal read cannot be cancelled
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			ch <- struct{}{}
		}
	}()
	return ch
}

// walk guides the installer through a session's devices, one at a time.
type walk struct {
	c       *apiClient
	out     io.Writer
	seen    map[string]bool // device/check marks already printed
	asked   map[string]bool // device/check prompts already given
	skipped map[string]bool
}

func (w *walk) run(ctx context.Context, ss session, poll time.Duration, skip <-chan struct{}) {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	current := ""
	for {
		w.tickOff(ss)
		cur := w.current(ss)
		if cur == nil {
			fmt.Fprintln(w.out, "全部设备已检查完毕 all devices checked")
			return
		}
		if cur.ID != current {
			current = cur.ID
			fmt.Fprintf(w.out, "\n== %s %s (%s, 网格 %s) ==\n", cur.ID, cur.Name, cur.Kind, cur.Grid)
		}
		if next := nextCheck(cur); next != "" && !w.asked[cur.ID+"/"+next] {
			w.asked[cur.ID+"/"+next] = true
			if s, ok := steps[next]; ok {
				fmt.Fprintf(w.out, "→ "+s[0]+" / "+s[1]+"\n", cur.ID, cur.ID)
			} else {
				fmt.Fprintf(w.out, "→ 等待 %s 的%s / waiting for %s's %s\n", cur.ID, checkNames[next], cur.ID, next)
			}
			if next == "command" {
				outcome, msg, err := w.c.command(ctx, cur.ID, "strobe", map[string]any{"seconds": 3})
				if err != nil && ctx.Err() == nil {
					fmt.Fprintf(w.out, "  命令未发出 command not sent: %v\n", err)
				} else if outcome != "ok" && ctx.Err() == nil {
					fmt.Fprintf(w.out, "  命令 %s: %s\n", outcome, msg)
				}
			}
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(w.out, "\n中断 interrupted: 结束会话 ending the session")
			return
		case <-skip:
			w.skipped[cur.ID] = true
			fmt.Fprintf(w.out, "跳过 skipped %s\n", cur.ID)
		case <-tick.C:
		}
		got, err := w.c.session(ctx, ss.ID)
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(w.out, "读取进度失败 cannot read progress: %v\n", err)
			}
			continue
		}
		ss = got
		if ss.EndedMS != 0 {
			fmt.Fprintf(w.out, "会话已结束 session ended (%s)\n", ss.EndReason)
			return
		}
	}
}

// tickOff prints each mark the first time it is seen, with the progress.
func (w *walk) tickOff(ss session) {
	changed := false
	for _, id := range sortedDevices(ss) {
		d := ss.Devices[id]
		for _, c := range d.Expected {
			m := d.Marks[c]
			if m == nil || w.seen[id+"/"+c+fmt.Sprint(m.OK)] {
				continue
			}
			w.seen[id+"/"+c+fmt.Sprint(m.OK)] = true
			changed = true
			sign := "✓"
			if !m.OK {
				sign = "✗"
			}
			line := fmt.Sprintf("  %s %s %s (%s)", sign, id, checkNames[c], c)
			if m.LatencyMS > 0 {
				line += fmt.Sprintf(" %d ms", m.LatencyMS)
			}
			if !m.OK && m.Detail != "" {
				line += " — " + m.Detail
			}
			fmt.Fprintln(w.out, line)
		}
		if d.Released && !w.seen[id+"/released"] {
			w.seen[id+"/released"] = true
			fmt.Fprintf(w.out, "  ✔ %s 通过，已恢复值守 / passed, back in service\n", id)
		}
	}
	if changed {
		s := ss.Summary
		fmt.Fprintf(w.out, "  进度 progress: %d/%d 通过 passed, %d 失败 failed, %d 进行中 pending, %d 未见 not seen\n",
			s["passed"], len(ss.Devices), s["failed"], s["pending"], s["not_seen"])
	}
}

// current is the first device still pending and not skipped. Once only
// skipped ones are left, the walk goes back to them (their prompts given
// again): a box skipped for a ladder is done at the end, not failed.
func (w *walk) current(ss session) *csDevice {
	first := func() *csDevice {
		for _, id := range sortedDevices(ss) {
			if d := ss.Devices[id]; d.Outcome == "pending" && !w.skipped[id] {
				return d
			}
		}
		return nil
	}
	if d := first(); d != nil || len(w.skipped) == 0 {
		return d
	}
	var back []string
	for _, id := range sortedDevices(ss) {
		if w.skipped[id] && ss.Devices[id].Outcome == "pending" {
			back = append(back, id)
			for k := range w.asked {
				if strings.HasPrefix(k, id+"/") {
					delete(w.asked, k)
				}
			}
		}
	}
	w.skipped = map[string]bool{}
	if len(back) > 0 {
		fmt.Fprintf(w.out, "\n回到跳过的设备 back to the skipped devices: %s (Ctrl-C 结束 ends the session)\n", strings.Join(back, ", "))
	}
	return first()
}

// nextCheck is the first expected check of d not passed: the ones the
// installer acts on first, then those that come by themselves.
func nextCheck(d *csDevice) string {
	var auto string
	for _, c := range d.Expected {
		if m := d.Marks[c]; m != nil {
			continue
		}
		if _, act := steps[c]; act {
			return c
		}
		if auto == "" {
			auto = c
		}
	}
	return auto
}

func sortedDevices(ss session) []string {
	ids := make([]string, 0, len(ss.Devices))
	for id := range ss.Devices {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// outcomeZH is a device's outcome in the report.
func outcomeZH(o string) string {
	switch o {
	case "passed":
		return "通过"
	case "failed":
		return "失败"
	case "not_seen":
		return "未见"
	}
	return strings.ReplaceAll(o, "_", " ")
}
