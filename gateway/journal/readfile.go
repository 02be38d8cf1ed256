package journal

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// ReadFile calls fn for every event in an events .jsonl file (a segment of a
// journal, or one written by hand for a dry run of the rules), in file order.
// Blank lines are skipped and the last line need not end in a newline. Each
// event must be one JSON object on one line, with a "device" and a "type" and
// no unknown fields. Errors, including fn's, name file:line; ReadFile stops at
// the first.
func ReadFile(path string, fn func(event.Event) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("events file: %w", err)
	}
	defer f.Close()
	lr := newLineReader(f)
	for {
		line, _, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, lr.num+1, err)
		}
		ev, blank, err := decodeLine(line, true)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, lr.num, err)
		}
		if blank {
			continue
		}
		if err := fn(ev); err != nil {
			return fmt.Errorf("%s:%d: %w", path, lr.num, err)
		}
	}
}
