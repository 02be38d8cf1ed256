package floor

import (
	"fmt"
	"os"
	"strconv"
	"sync"
)

// journal appends one line per press and fsyncs it before returning: the
// least a gateway that promises "accepted means durable" can do. Presses
// from many connections are serialised by a lock; at the bench's press
// rates there is nothing for group commit to gain.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	next int64
	buf  []byte
}

func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("floor: journal: %w", err)
	}
	return &journal{f: f}, nil
}

// append writes {"id":N,"ms":T,"device":"D","evt":PAYLOAD} and fsyncs it.
// payload must be one line of JSON (the caller has decoded it). It returns
// the line's id.
func (j *journal) append(nowMS int64, device string, payload []byte) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	b := append(j.buf[:0], `{"id":`...)
	b = strconv.AppendInt(b, j.next, 10)
	b = append(b, `,"ms":`...)
	b = strconv.AppendInt(b, nowMS, 10)
	b = append(b, `,"device":`...)
	b = strconv.AppendQuote(b, device)
	b = append(b, `,"evt":`...)
	b = append(b, payload...)
	b = append(b, "}\n"...)
	j.buf = b
	if _, err := j.f.Write(b); err != nil {
		return 0, fmt.Errorf("floor: journal write: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return 0, fmt.Errorf("floor: journal fsync: %w", err)
	}
	return j.next, nil
}

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}
