package videorec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// box is a top-level MP4 box: where it starts and how long it is.
type box struct {
	typ       string
	off, size int64
}

// topBoxes lists the top-level boxes of an MP4 file of length size.
func topBoxes(r io.ReaderAt, size int64) ([]box, error) {
	var out []box
	var h [16]byte
	for off := int64(0); off < size; {
		if _, err := r.ReadAt(h[:8], off); err != nil {
			return nil, fmt.Errorf("box at %d: %w", off, err)
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		switch n {
		case 0:
			n = size - off
		case 1:
			if _, err := r.ReadAt(h[8:16], off+8); err != nil {
				return nil, fmt.Errorf("box at %d: %w", off, err)
			}
			n = int64(binary.BigEndian.Uint64(h[8:16]))
		}
		if n < 8 || off+n > size {
			return nil, fmt.Errorf("%w: box %q at %d of size %d", errLayout, h[4:8], off, n)
		}
		out = append(out, box{typ: string(h[4:8]), off: off, size: n})
		off += n
	}
	return out, nil
}

// faststart copies the MP4 in src (ftyp … mdat moov, as gomedia writes
// it) to dst as ftyp moov … mdat, with every chunk offset moved by the
// moov's size, so a player (a browser) can start before it has the whole
// file, as ffmpeg's -movflags +faststart does. It returns dst's size.
func faststart(src *os.File, dst io.Writer) (int64, error) {
	fi, err := src.Stat()
	if err != nil {
		return 0, err
	}
	boxes, err := topBoxes(src, fi.Size())
	if err != nil {
		return 0, err
	}
	if len(boxes) < 3 || boxes[0].typ != "ftyp" || boxes[len(boxes)-1].typ != "moov" {
		return 0, fmt.Errorf("%w: %v", errLayout, boxes)
	}
	ftyp, moovBox := boxes[0], boxes[len(boxes)-1]
	moov := make([]byte, moovBox.size)
	if _, err := src.ReadAt(moov, moovBox.off); err != nil {
		return 0, err
	}
	if err := shiftChunks(moov[8:], moovBox.size); err != nil {
		return 0, err
	}
	var n int64
	for _, part := range []io.Reader{
		io.NewSectionReader(src, 0, ftyp.size),
		bytes.NewReader(moov),
		io.NewSectionReader(src, ftyp.size, moovBox.off-ftyp.size),
	} {
		m, err := io.Copy(dst, part)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// containers are the boxes on the way from moov to the chunk offsets.
var containers = map[string]bool{"trak": true, "mdia": true, "minf": true, "stbl": true}

// shiftChunks adds by to every stco/co64 entry in the boxes of b.
func shiftChunks(b []byte, by int64) error {
	for len(b) >= 8 {
		n := int64(binary.BigEndian.Uint32(b[:4]))
		typ := string(b[4:8])
		if n < 8 || n > int64(len(b)) {
			return fmt.Errorf("%w: box %q of size %d", errLayout, typ, n)
		}
		body := b[8:n]
		switch {
		case containers[typ]:
			if err := shiftChunks(body, by); err != nil {
				return err
			}
		case typ == "stco" || typ == "co64":
			if len(body) < 8 {
				return fmt.Errorf("%w: short %s", errLayout, typ)
			}
			count := int64(binary.BigEndian.Uint32(body[4:8]))
			w := int64(4)
			if typ == "co64" {
				w = 8
			}
			if 8+count*w > int64(len(body)) {
				return fmt.Errorf("%w: %s of %d entries in %d bytes", errLayout, typ, count, len(body))
			}
			for i := range count {
				e := body[8+i*w:]
				if w == 4 {
					v := int64(binary.BigEndian.Uint32(e)) + by
					if v > 1<<32-1 {
						return fmt.Errorf("%w: chunk offset past 4 GiB in stco", errLayout)
					}
					binary.BigEndian.PutUint32(e, uint32(v))
				} else {
					binary.BigEndian.PutUint64(e, binary.BigEndian.Uint64(e)+uint64(by))
				}
			}
		}
		b = b[n:]
	}
	return nil
}
