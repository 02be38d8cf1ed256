package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// wallBox is a light box played by a paho client: it answers every
// command on its cmd topic with an ack per the MQTT contract (refusing
// the siren it has not got) and presses its button on request.
type wallBox struct {
	t  *testing.T
	id string
	c  paho.Client
	mu sync.Mutex
	// got are the commands it received, as {"cmd", "args"}.
	got []map[string]any
}

func newWallBox(t *testing.T, broker, id string) *wallBox {
	t.Helper()
	b := &wallBox{t: t, id: id}
	b.c = paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID(id).SetAutoReconnect(false))
	if tok := b.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("box %s: connect: %v", id, tok.Error())
	}
	t.Cleanup(func() { b.c.Disconnect(0) })
	topic := "gridwatch/v1/dev/" + id + "/cmd"
	tok := b.c.Subscribe(topic, 1, func(c paho.Client, m paho.Message) {
		var cmd struct {
			CID  string         `json:"cid"`
			Cmd  string         `json:"cmd"`
			Args map[string]any `json:"args"`
		}
		if json.Unmarshal(m.Payload(), &cmd) != nil {
			return
		}
		b.mu.Lock()
		b.got = append(b.got, map[string]any{"cmd": cmd.Cmd, "args": cmd.Args})
		b.mu.Unlock()
		ack := fmt.Sprintf(`{"cid":%q,"ok":true,"error":""}`, cmd.CID)
		if cmd.Cmd == "siren" {
			ack = fmt.Sprintf(`{"cid":%q,"ok":false,"error":"no siren fitted"}`, cmd.CID)
		}
		// Not waited on: paho's handler must not block on its own client.
		c.Publish(topic+"/ack", 1, false, ack)
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("box %s: subscribe: %v", id, tok.Error())
	}
	return b
}

func (b *wallBox) press(seq int) {
	b.t.Helper()
	tok := b.c.Publish("gridwatch/v1/dev/"+b.id+"/evt", 1, false, fmt.Sprintf(`{"type":"button.pressed","seq":%d,"ts":%d}`, seq, time.Now().UnixMilli()))
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.t.Fatalf("box %s: press: no PUBACK: %v", b.id, tok.Error())
	}
}

func (b *wallBox) commands() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out, _ := json.Marshal(b.got)
	return string(out)
}

// TestWallScreenCommandsAndCommissioning: the security room sends device
// commands from the wall screen's focus panel to a light box played by a
// paho client and sees each answer (done, refused with the box's reason);
// a commissioning session started over the API appears as a panel that
// ticks the box's press and command checks live, and leaves when the
// session ends. The layout checks hold with the panel up.
func TestWallScreenCommandsAndCommissioning(t *testing.T) {
	base, broker := startWallGateway(t)
	box := newWallBox(t, broker, "lb-0001")

	ctx := testsvc.Browser(t, 120*time.Second, chromedp.WindowSize(1920, 1080))
	testsvc.FailOnScriptErrors(t, ctx, "the wall screen")
	loginWall(t, ctx, base, "room1", chromedp.WaitVisible(`#plan .marker[data-device-id="lb-0001"]`, chromedp.ByQuery))
	var hidden bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById("commission").hidden`, &hidden)); err != nil || !hidden {
		t.Errorf("the commissioning panel shows with no session (hidden %v, %v)", hidden, err)
	}

	// The box's press is in focus, with the command form of a light box.
	box.press(1)
	form := `#focus-command .cmd-form[data-device-id="lb-0001"]`
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#focus[data-state="open"][data-severity="red"]`, chromedp.ByQuery),
		chromedp.WaitVisible(form+` .cmd-send`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the focus panel's command form: %v", err)
	}
	// A strobe (the first command offered) is done by the box.
	if err := chromedp.Run(ctx,
		chromedp.Click(form+` .cmd-send`, chromedp.ByQuery),
		chromedp.WaitVisible(form+` .cmd-result[data-outcome="ok"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("a strobe from the wall screen: %v (box got %s)", err, box.commands())
	}
	if got := box.commands(); !strings.Contains(got, `{"args":{"seconds":5},"cmd":"strobe"}`) {
		t.Errorf("the box got %s; want a strobe of 5 s", got)
	}
	// Speech takes a typed text; the siren the box has not got is refused,
	// and the box's reason is shown.
	pick := func(cmd string) chromedp.Action {
		return chromedp.Evaluate(fmt.Sprintf(`(() => {
			const s = document.querySelector(%q);
			s.value = [...s.options].find((o) => o.dataset.cmd === %q).value;
			s.dispatchEvent(new Event("change"));
		})()`, form+" .cmd-name", cmd), nil)
	}
	var refused string
	if err := chromedp.Run(ctx,
		pick("speak"),
		chromedp.WaitVisible(form+` .cmd-text`, chromedp.ByQuery),
		chromedp.SendKeys(form+` .cmd-text`, "请保安马上到莲花路12号", chromedp.ByQuery),
		chromedp.Click(form+` .cmd-send`, chromedp.ByQuery),
		chromedp.WaitVisible(form+` .cmd-result[data-outcome="ok"]`, chromedp.ByQuery),
		pick("siren"),
		chromedp.Click(form+` .cmd-send`, chromedp.ByQuery),
		chromedp.WaitVisible(form+` .cmd-result[data-outcome="failed"]`, chromedp.ByQuery),
		chromedp.Text(form+` .cmd-result`, &refused, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("speech and a refused siren: %v (box got %s)", err, box.commands())
	}
	if got := box.commands(); !strings.Contains(got, `"text":"请保安马上到莲花路12号"`) {
		t.Errorf("the box got %s; want the typed speech", got)
	}
	if !strings.Contains(refused, "设备拒绝") || !strings.Contains(refused, "no siren fitted") {
		t.Errorf("the refused siren shows %q; want 设备拒绝 with the box's reason", refused)
	}
	assertWallLayout(ctx, t)
	testsvc.Screenshot(t, ctx, "wall-command.png")

	// A commissioning session over the API: the panel appears with the box
	// pending and its checks open, and ticks them as the box shows them.
	room := newBrowser(t, base)
	room.login("room1", staffPassword)
	code, body := room.do("POST", "/api/v1/commissioning", `{"devices":["lb-0001","lb-0002"],"reason":"验收"}`, true)
	var ss struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &ss) != nil || ss.ID == "" {
		t.Fatalf("start a commissioning session: %d %s", code, body)
	}
	row := `#commission tr[data-device-id="lb-0001"]`
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(wctx,
		chromedp.WaitVisible(fmt.Sprintf(`#commission .session[data-session-id=%q]`, ss.ID), chromedp.ByQuery),
		chromedp.WaitVisible(row+` .check[data-check="press"][data-state="open"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#commission tr[data-device-id="lb-0002"][data-outcome="pending"] .check[data-check="heartbeat"][data-state="open"]`, chromedp.ByQuery),
	); err != nil {
		var dump string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`Promise.all([fetch("/api/v1/site").then((r) => r.text()), fetch("/api/v1/commissioning").then((r) => r.text())]).then((x) => x.join("\\n"))`, &dump, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		t.Fatalf("the commissioning panel: %v\n%s", err, dump)
	}
	box.press(2)
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(row+` .check[data-check="press"][data-state="ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+`[data-outcome="pending"]`, chromedp.ByQuery),
		// A strobe from the screen ticks the command check.
		pick("strobe"),
		chromedp.Click(form+` .cmd-send`, chromedp.ByQuery),
		chromedp.WaitVisible(form+` .cmd-result[data-outcome="ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+` .check[data-check="command"][data-state="ok"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the panel ticking the box's press and command: %v", err)
	}
	assertWallLayout(ctx, t)
	testsvc.Screenshot(t, ctx, "wall-commissioning.png")

	// A device picked in a cell's health list has its own form: a reader
	// is offered an unlock.
	var offered []string
	if err := chromedp.Run(ctx,
		chromedp.Click(`#health-cells tr[data-grid="lh-g5-07a"]`, chromedp.ByQuery),
		chromedp.Click(`#health-devices tr[data-device-id="rd-0001"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#health .cmd-form[data-device-id="rd-0001"] .cmd-send`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('#health .cmd-form option')].map((o) => o.dataset.cmd)`, &offered),
	); err != nil {
		t.Fatalf("the health view's command form: %v", err)
	}
	if strings.Join(offered, ",") != "unlock" {
		t.Errorf("a reader is offered %v; want unlock", offered)
	}
	assertWallLayout(ctx, t)

	if code, body := room.do("DELETE", "/api/v1/commissioning/"+ss.ID, "", true); code != 200 {
		t.Fatalf("end the session: %d %s", code, body)
	}
	if err := chromedp.Run(ctx, chromedp.WaitNotVisible(`#commission`, chromedp.ByID)); err != nil {
		t.Fatalf("the panel stays after the session ended: %v", err)
	}
	assertWallLayout(ctx, t)
}
