package clock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// anchor is what the anchor file holds: the gateway's time at a moment,
// and the kernel's boot id and boot-time clock at the same moment.
type anchor struct {
	GatewayMS   int64  `json:"gateway_ms"`
	BootID      string `json:"boot_id,omitempty"`
	SinceBootNS int64  `json:"since_boot_ns,omitempty"`
}

// readAnchor reads the anchor file; a missing file is nil, nil.
func readAnchor(path string) (*anchor, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var a anchor
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if a.GatewayMS <= 0 {
		return nil, fmt.Errorf("%s: no gateway_ms", path)
	}
	return &a, nil
}

// writeAnchor replaces the anchor file with the gateway's time now. The
// boot-time clock is read right after the gateway's time, so the two
// describe the same moment.
func (c *Clock) writeAnchor() error {
	a := anchor{GatewayMS: c.Now().UnixMilli()}
	if id, since, ok := c.cfg.Boot(); ok {
		a.BootID, a.SinceBootNS = id, since.Nanoseconds()
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	tmp := c.cfg.AnchorPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return fmt.Errorf("clock anchor: %w", err)
	}
	if err := os.Rename(tmp, c.cfg.AnchorPath); err != nil {
		return fmt.Errorf("clock anchor: %w", err)
	}
	return nil
}
