package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestCommissionWalkTest runs `gridsim commission` against a real
// gridwatchd: lb-0001 (simulated by `gridsim run`, which heart-beats and
// acks commands) is walked through its prompts by presses of `gridsim
// press` and passes; lb-0002 never shows up. Ctrl-C (the context) ends
// the session; the terminal and the HTML report say passed and not seen.
func TestCommissionWalkTest(t *testing.T) {
	gw, dir, mqttAddr := commissionGateway(t, "auth: false")
	br, rootFlag := "-broker=tcp://"+mqttAddr, "-root="+root

	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan int, 1)
	go func() {
		var out, errOut testlog.Buffer
		runDone <- Main(runCtx, []string{"run", br, rootFlag, "-registry=" + filepath.Join(dir, "registry.yaml"), "-only=lb-0001", "-ramp=0s"}, &out, &errOut)
	}()
	defer func() { stopRun(); <-runDone }()

	report := filepath.Join(dir, "report.html")
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var out, errOut testlog.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"commission", "-api=" + gw.HTTP, "-by=room1", "-poll=200ms", "-report=" + report, "lb-0001", "lb-0002"}, &out, &errOut)
	}()
	prompted := func(what string) {
		t.Helper()
		testsvc.Eventually(t, loginPatience, "prompt "+what, func() bool { return strings.Contains(out.String(), what) })
	}
	press := func(typ string) {
		t.Helper()
		if code, stdout, stderr := gridsim(t, "press", "lb-0001", "-type="+typ, br, rootFlag); code != exitOK {
			t.Fatalf("press %s: %d %s%s", typ, code, stdout, stderr)
		}
	}
	prompted("按下 lb-0001 的报警按钮 / press the button on lb-0001 now")
	press("button.pressed")
	prompted("打开 lb-0001 的箱门")
	press("tamper.open")
	prompted("断开 lb-0001 的市电")
	press("power.mains_lost")
	press("power.mains_restored")
	prompted("按下 lb-0002 的报警按钮") // lb-0001 passed: on to the next
	interrupt()
	code := <-done
	t.Logf("gridsim commission:\n%s%s", out.String(), errOut.String())
	if code != exitFail {
		t.Errorf("exit %d, want %d (a device not seen)", code, exitFail)
	}
	text := out.String()
	for _, want := range []string{"✓ lb-0001 报警按钮 (press)", "✓ lb-0001 命令应答 (command)", "✔ lb-0001 通过，已恢复值守 / passed, back in service", "lb-0001    通过", "lb-0002    未见", "合计 total 2: 通过 passed 1, 失败 failed 0, 未见 not seen 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="zh-CN">`, "lb-0001", `class="passed">通过`, `class="not_seen">未见`, "@media print"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(string(html), "<script") || strings.Contains(string(html), "http") {
		t.Error("the HTML report is not self-contained")
	}
}

// commissionGateway runs a real gridwatchd with its embedded broker
// (anonymous on loopback), two light boxes in cell lh-g4-07 and the
// security room room1; httpExtra is added to its http: section.
func commissionGateway(t *testing.T, httpExtra string) (gw *testsvc.Gateway, dir, mqttAddr string) {
	t.Helper()
	bin := buildGridwatchd(t)
	dir = t.TempDir()
	mqttAddr = "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	reg := `
grids:
  - {id: lianhua,  name: 莲花社区, level: 3}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
staff:
  - {id: room1, name: 监控室, role: security_room, grids: [lianhua]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号, heartbeat: 1s}
  - {id: lb-0002, kind: lightbox, grid: lh-g4-07, name: 莲花路20号, heartbeat: 1s}
`
	cfg := fmt.Sprintf(`site: lianhua
data_dir: %s
registry: %s
http:
  listen: %q
  %s
mqtt:
  topic_root: %s
  embedded: {listen: %q, allow_anonymous: true}
`, filepath.Join(dir, "data"), filepath.Join(dir, "registry.yaml"), httpAddr, httpExtra, root, mqttAddr)
	for name, body := range map[string]string{"registry.yaml": reg, "gridwatch.yaml": cfg} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	gw = testsvc.Gridwatchd(t, bin, filepath.Join(dir, "gridwatch.yaml"), httpAddr)
	gw.Start()
	return gw, dir, mqttAddr
}

// TestCommissionAsInstaller: with auth on, gridsim logs in as the
// config's installer account (session cookie and CSRF token), runs the
// session and ends it on Ctrl-C; a wrong password stops it at once.
func TestCommissionAsInstaller(t *testing.T) {
	hash := func(pw string) string {
		cmd := exec.Command(buildGridwatchd(t), "passwd")
		cmd.Stdin = strings.NewReader(pw + "\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gridwatchd passwd: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	gw, dir, _ := commissionGateway(t, fmt.Sprintf("users: {fitter: {role: installer, password_hash: %q}}", hash("pw-fitter")))
	report := filepath.Join(dir, "report.html")
	if code, _, stderr := gridsim(t, "commission", "-api="+gw.HTTP, "-user=fitter", "-password-http=wrong", "lb-0002"); code != exitFail || !strings.Contains(stderr, "login as fitter") {
		t.Errorf("wrong password: exit %d %s", code, stderr)
	}
	if code, _, stderr := gridsim(t, "commission", "-api="+gw.HTTP, "lb-0002"); code != exitFail || !strings.Contains(stderr, "HTTP 401") {
		t.Errorf("no credentials: exit %d %s", code, stderr)
	}
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var out, errOut testlog.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"commission", "-api=" + gw.HTTP, "-user=fitter", "-password-http=pw-fitter", "-poll=200ms", "-report=" + report, "lb-0002"}, &out, &errOut)
	}()
	testsvc.Eventually(t, loginPatience, "the first prompt", func() bool { return strings.Contains(out.String(), "按下 lb-0002 的报警按钮") })
	interrupt()
	if code := <-done; code != exitFail || !strings.Contains(out.String(), "lb-0002    未见") {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errOut.String())
	}
}

// TestCommissionResume: gridsim was cut off (a laptop's battery, an SSH
// session dropped) and left its session live, with its devices in test
// mode. Starting again over them is refused with the way out; -session
// goes on with it and ends it on Ctrl-C; an ended session cannot be
// resumed.
func TestCommissionResume(t *testing.T) {
	gw, dir, _ := commissionGateway(t, "auth: false")
	api, err := newAPIClient(gw.HTTP, "", "room1")
	if err != nil {
		t.Fatal(err)
	}
	left, err := api.startSession(context.Background(), []string{"lb-0002"}, "", false, time.Hour, "cut off")
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := gridsim(t, "commission", "-api="+gw.HTTP, "-by=room1", "lb-0002")
	if code != exitFail || !strings.Contains(stderr, "HTTP 409") || !strings.Contains(stderr, left.ID) || !strings.Contains(stderr, "give -session") {
		t.Errorf("a second start: exit %d %s", code, stderr)
	}
	if code, _, stderr := gridsim(t, "commission", "-api="+gw.HTTP, "-session="+left.ID, "lb-0002"); code != exitUsage {
		t.Errorf("-session with devices: exit %d %s", code, stderr)
	}

	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var out, errOut testlog.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"commission", "-api=" + gw.HTTP, "-by=room1", "-poll=200ms", "-report=" + filepath.Join(dir, "r.html"), "-session=" + left.ID}, &out, &errOut)
	}()
	testsvc.Eventually(t, loginPatience, "the resumed session's prompt", func() bool { return strings.Contains(out.String(), "按下 lb-0002 的报警按钮") })
	interrupt()
	if code := <-done; code != exitFail || !strings.Contains(out.String(), "调试会话 session "+left.ID) || !strings.Contains(out.String(), "lb-0002    未见") {
		t.Fatalf("resumed: exit %d:\n%s%s", code, out.String(), errOut.String())
	}
	code, _, stderr = gridsim(t, "commission", "-api="+gw.HTTP, "-session="+left.ID)
	if code != exitFail || !strings.Contains(stderr, "has ended (ended)") {
		t.Errorf("resuming an ended session: exit %d %s", code, stderr)
	}
}
