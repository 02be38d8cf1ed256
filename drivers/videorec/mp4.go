package videorec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	mp4 "github.com/yapingcat/gomedia/go-mp4"
)

// mp4Out writes one clip: gomedia's muxer into a temp file beside the
// clip's path, then moov moved in front (faststart) into a second temp
// file, fsynced and renamed onto the path.
type mp4Out struct {
	path   string
	clock  int64
	f      *os.File
	mux    *mp4.Movmuxer
	track  uint32
	frames int
	first  Frame
	lastMS uint64
	sps    []byte // of the first keyframe: the track's
	pps    []byte
}

func createMP4(path string, clock int) (*mp4Out, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return nil, fmt.Errorf("create clip: %w", err)
	}
	mux, err := mp4.CreateMp4Muxer(f)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("create clip %s: %w", path, err)
	}
	return &mp4Out{path: path, clock: int64(clock), f: f, mux: mux, track: mux.AddVideoTrack(mp4.MP4_CODEC_H264)}, nil
}

// write adds one frame. The first must be a keyframe (the ring starts on
// one and read resumes on one). gomedia parses the camera's SPS, which is
// attacker-controlled input: a panic in it becomes an error.
func (o *mp4Out) write(f Frame) (err error) {
	if o.frames == 0 {
		if !f.Key {
			return nil
		}
		o.first = f
		sps, pps := paramSets(f.Data)
		o.sps, o.pps = bytes.Clone(sps), bytes.Clone(pps)
	} else if f.Key {
		if sps, pps := paramSets(f.Data); !bytes.Equal(sps, o.sps) || !bytes.Equal(pps, o.pps) {
			return errNewParams
		}
	}
	ms := uint64(o.mediaMS(f))
	if o.frames > 0 && ms <= o.lastMS {
		ms = o.lastMS + 1 // decoding order is presentation order (no B-frames)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("mux frame %d of clip %s: %v", o.frames, o.path, p)
		}
	}()
	if err := o.mux.Write(o.track, f.Data, ms, ms); err != nil {
		return fmt.Errorf("write clip %s: %w", o.path, err)
	}
	o.frames++
	o.lastMS = ms
	return nil
}

// mediaMS is where f would sit in the file, in ms from its first frame.
func (o *mp4Out) mediaMS(f Frame) int64 { return (f.PTS - o.first.PTS) * 1000 / o.clock }

// finish completes the file and puts it in place.
func (o *mp4Out) finish() (res ClipResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("finish clip %s: %v", o.path, p)
		}
	}()
	if err := o.mux.WriteTrailer(); err != nil {
		return ClipResult{}, fmt.Errorf("finish clip %s: %w", o.path, err)
	}
	fast, err := os.CreateTemp(filepath.Dir(o.path), "."+filepath.Base(o.path)+".*.part")
	if err != nil {
		return ClipResult{}, fmt.Errorf("finish clip: %w", err)
	}
	defer os.Remove(fast.Name()) // fails once renamed
	n, err := faststart(o.f, fast)
	if err == nil {
		err = fast.Sync()
	}
	if cerr := fast.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(fast.Name(), o.path)
	}
	if err != nil {
		return ClipResult{}, fmt.Errorf("finish clip %s: %w", o.path, err)
	}
	syncDir(filepath.Dir(o.path))
	o.abort()
	// The last frame lasts 1 ms in gomedia's table; the file's duration
	// is that of its frames.
	dur := time.Duration(o.lastMS+1) * time.Millisecond
	start := o.first.At.Round(0) // wall clock only: the result leaves the process
	return ClipResult{Start: start, End: start.Add(dur), Frames: o.frames, Bytes: n, Codec: "h264"}, nil
}

// abort removes the first temp file (always: the clip is the faststart copy).
func (o *mp4Out) abort() {
	if o.f == nil {
		return
	}
	_ = o.f.Close()
	_ = os.Remove(o.f.Name())
	o.f = nil
}

// syncDir makes a rename durable; a directory that cannot be synced
// (some filesystems) is no error.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

var errLayout = errors.New("unexpected MP4 layout")
