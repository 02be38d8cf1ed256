package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// lineReader reads a .jsonl file line by line, keeping count of line numbers
// and byte offsets.
type lineReader struct {
	r   *bufio.Reader
	num int   // number of the line last returned, from 1
	off int64 // offset just after the line last returned
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its '\n' and whether it had one (a
// final line may not). It returns io.EOF when no bytes are left.
func (lr *lineReader) next() (line []byte, complete bool, err error) {
	b, err := lr.r.ReadBytes('\n')
	if err != nil && (!errors.Is(err, io.EOF) || len(b) == 0) {
		return nil, false, err
	}
	lr.num++
	lr.off += int64(len(b))
	if b[len(b)-1] == '\n' {
		return b[:len(b)-1], true, nil
	}
	return b, false, nil
}

// decodeLine decodes a line holding exactly one JSON object. strict refuses
// fields Event does not have (a typo in a hand-written file) and requires a
// device and a type. blank reports a line of nothing but white space.
func decodeLine(line []byte, strict bool) (ev event.Event, blank bool, err error) {
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return ev, true, nil
	}
	if t[0] != '{' {
		return ev, false, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&ev); err != nil {
		return ev, false, fmt.Errorf("bad JSON: %w", err)
	}
	if dec.InputOffset() != int64(len(t)) {
		return ev, false, errors.New("data after the JSON object")
	}
	if strict {
		if err := checkEvent(&ev); err != nil {
			return ev, false, err
		}
	}
	return ev, false, nil
}

// checkEvent reports an event that names no device or no type.
func checkEvent(ev *event.Event) error {
	switch {
	case ev.Device == "":
		return errors.New(`event has no "device"`)
	case ev.Type == "":
		return errors.New(`event has no "type"`)
	}
	return nil
}

// decodeJournalLine decodes a line of a segment. Unknown fields are allowed,
// so a journal written by a newer gateway can still be read; a blank line or
// an event without an ID is garbage.
func decodeJournalLine(line []byte) (event.Event, error) {
	ev, blank, err := decodeLine(line, false)
	switch {
	case err != nil:
		return ev, err
	case blank:
		return ev, errors.New("blank line")
	case ev.ID == 0:
		return ev, errors.New(`event has no "id"`)
	}
	return ev, nil
}
