package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// segExt ends every segment file's name.
const segExt = ".seg"

// segment is one segment file: records first .. first+count-1, size bytes,
// all of them fsync'd.
type segment struct {
	first uint64
	count uint64
	size  int64
}

// end is the sequence number after the segment's last record.
func (s segment) end() uint64 { return s.first + s.count }

// segName is the file name of the segment whose first record is first.
func segName(first uint64) string { return fmt.Sprintf("%020d%s", first, segExt) }

// listSegments returns the first sequence numbers of the segment files in
// dir, in order. Other files are ignored; a .seg file with a bad name is an
// error.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var firsts []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, segExt) || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, segExt), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("spool: %s: segment name is not a sequence number", filepath.Join(dir, name))
		}
		firsts = append(firsts, n)
	}
	slices.Sort(firsts)
	return firsts, nil
}

// scanSegment reads every record of the segment file at path, whose first
// record is first. At the first frame that is cut short or fails its
// checksum it truncates the file there and reports the bytes cut (with the
// reason); the records before it are kept.
func scanSegment(path string, first uint64) (seg segment, cut int64, why error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return segment{}, 0, nil, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return segment{}, 0, nil, fmt.Errorf("spool: %w", err)
	}
	seg = segment{first: first}
	r := bufio.NewReaderSize(f, 256<<10)
	for {
		rec, rerr := readFrame(r)
		if rerr == io.EOF {
			return seg, 0, nil, nil
		}
		if rerr != nil && !errors.Is(rerr, errCorrupt) {
			return segment{}, 0, nil, fmt.Errorf("spool: read %s: %w", path, rerr)
		}
		if rerr != nil {
			cut = st.Size() - seg.size
			if err := f.Truncate(seg.size); err != nil {
				return segment{}, 0, nil, fmt.Errorf("spool: truncate %s: %w", path, err)
			}
			if err := f.Sync(); err != nil {
				return segment{}, 0, nil, fmt.Errorf("spool: sync %s: %w", path, err)
			}
			return seg, cut, fmt.Errorf("at byte %d: %w", seg.size, rerr), nil
		}
		seg.count++
		seg.size += frameLen(len(rec))
	}
}

// syncDir fsyncs a directory, so that files created, renamed or removed in
// it stay so after a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
