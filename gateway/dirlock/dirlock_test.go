package dirlock

import (
	"strings"
	"testing"
)

func TestSecondTakeFailsUntilReleased(t *testing.T) {
	dir := t.TempDir()
	l, err := Take(dir, "journal")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Take(dir, "journal"); err == nil || !strings.Contains(err.Error(), "in use by another journal") {
		t.Fatalf("second Take: %v, want in use", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Take(dir, "journal")
	if err != nil {
		t.Fatalf("Take after Release: %v", err)
	}
	l2.Release()
	var none *Lock
	if err := none.Release(); err != nil {
		t.Errorf("nil Release: %v", err)
	}
}
