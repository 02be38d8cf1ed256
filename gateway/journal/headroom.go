package journal

import (
	"errors"
	"syscall"
)

// Headroom: disk space the journal keeps allocated past the end of the
// segment it writes (fallocate with FALLOC_FL_KEEP_SIZE: the blocks are
// the file's, its size does not change, so recovery and replay never see
// them). Appends then write into blocks the filesystem already gave the
// journal, and go on for that many bytes after something else filled the
// disk. The room is topped up whenever less than half of it is left; when
// the disk is full, topping up fails and the journal lives on what is left.
// On filesystems that cannot preallocate (copy-on-write ones, where it would
// not help anyway) headroom is off.

// ensureHeadroom tops up the space allocated past the end of the segment
// being written. The caller holds the token (or is Open).
func (j *Journal) ensureHeadroom() {
	if j.headroom <= 0 || j.file == nil || j.noPrealloc {
		j.met.headroom.Set(0)
		return
	}
	if j.allocEnd-j.size >= j.headroom/2 {
		j.met.headroom.Set(float64(j.allocEnd - j.size))
		return
	}
	err := preallocate(j.file.Fd(), j.size, j.headroom)
	switch {
	case err == nil:
		j.allocEnd = j.size + j.headroom
		if j.headroomLow {
			j.log.Info("journal headroom restored", "bytes", j.headroom)
			j.headroomLow = false
		}
	case errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS):
		j.noPrealloc = true
		j.log.Info("the filesystem cannot preallocate; journal headroom is off", "err", err)
	default:
		if !j.headroomLow {
			j.log.Warn("cannot allocate journal headroom (disk full?): appends go on in the room left",
				"room_bytes", max(0, j.allocEnd-j.size), "err", err)
			j.headroomLow = true
		}
	}
	j.met.headroom.Set(float64(max(0, j.allocEnd-j.size)))
}

// releaseHeadroom gives back the blocks past the end of a segment that is
// no longer written (truncating a file to its size frees them). The
// caller holds the token.
func (j *Journal) releaseHeadroom() {
	if j.file != nil && j.allocEnd > j.size {
		_ = j.file.Truncate(j.size)
	}
	j.allocEnd = 0
}
