package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// headerLen is the frame header: length and checksum.
const headerLen = 8

// castagnoli is the CRC-32C table.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a frame that is cut short, too long or fails its
// checksum.
var errCorrupt = errors.New("corrupt record")

// frameLen is the bytes a record of n payload bytes takes on disk.
func frameLen(n int) int64 { return int64(headerLen + n) }

// appendFrame appends rec, framed, to buf.
func appendFrame(buf, rec []byte) []byte {
	var h [headerLen]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(rec)))
	crc := crc32.Update(0, castagnoli, h[0:4])
	crc = crc32.Update(crc, castagnoli, rec)
	binary.LittleEndian.PutUint32(h[4:8], crc)
	return append(append(buf, h[:]...), rec...)
}

// readFrame reads one frame from r. It returns io.EOF at a clean end, and
// an error wrapping errCorrupt for a frame cut short, of length 0 or over
// MaxRecord, or failing its checksum.
func readFrame(r *bufio.Reader) ([]byte, error) {
	var h [headerLen]byte
	n, err := io.ReadFull(r, h[:])
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: header cut short after %d bytes", errCorrupt, n)
	case err != nil:
		return nil, err
	}
	size := binary.LittleEndian.Uint32(h[0:4])
	if size == 0 || size > MaxRecord {
		return nil, fmt.Errorf("%w: length %d out of range 1..%d", errCorrupt, size, MaxRecord)
	}
	rec := make([]byte, size)
	if n, err := io.ReadFull(r, rec); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			return nil, fmt.Errorf("%w: payload cut short at %d of %d bytes", errCorrupt, n, size)
		}
		return nil, err
	}
	crc := crc32.Update(0, castagnoli, h[0:4])
	crc = crc32.Update(crc, castagnoli, rec)
	if want := binary.LittleEndian.Uint32(h[4:8]); crc != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", errCorrupt, crc, want)
	}
	return rec, nil
}
