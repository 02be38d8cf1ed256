package testsvc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser starts a headless Chromium for one test and stops it when the
// test ends; the test is skipped, saying how to install it, when there is
// no Chromium. timeout bounds the whole session; extra are allocator
// options beyond the defaults (chromedp.WindowSize, chromedp.Flag …).
func Browser(t *testing.T, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	bin := Chromium(t)
	// Not t.TempDir: Chromium's helper processes may still write to the
	// profile for a moment after the browser exits, and a failed clean-up
	// of a scratch profile is not a failure of the test.
	profile, err := os.MkdirTemp("", "gridwatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true))
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancel(); cancelCtx(); cancelAlloc() })
	return ctx
}

// Screenshot saves the browser's viewport as name (a .png) in the test's
// artifact directory (go test -artifacts), or in GRIDWATCH_ARTIFACTS when
// that is set, and logs where.
func Screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("GRIDWATCH_ARTIFACTS")
	if dir == "" {
		dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// FailOnScriptErrors fails t, when it ends, if any page of ctx threw an
// uncaught script error; what names the page in the message.
func FailOnScriptErrors(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	var mu sync.Mutex
	var thrown []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			thrown = append(thrown, e.ExceptionDetails.Error())
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(thrown) > 0 {
			t.Errorf("script errors on %s: %v", what, thrown)
		}
	})
}

// ClickLive waits until sel (a CSS selector) is visible, then clicks the
// first element it matches from inside the page, in one step. chromedp's
// Click finds the node and then clicks it in two round trips: a list that
// a live update re-renders in between loses the click ("Could not find
// node with given id"), as a busy machine showed on the wall screen.
func ClickLive(sel string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var ok bool
			js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false;
				e.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true, view: window})); return true; })()`, sel)
			if err := chromedp.Evaluate(js, &ok).Do(ctx); err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("click %s: no such element", sel)
			}
			return nil
		}),
	}
}
