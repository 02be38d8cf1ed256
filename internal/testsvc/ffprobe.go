package testsvc

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Probe is what ffprobe says of a video file, and whether ffmpeg decodes
// it cleanly.
type Probe struct {
	Codec    string  // of the first video stream ("h264")
	Duration float64 // seconds, of the container
	Frames   int     // packets of the first video stream
	FirstKey bool    // the first frame is a keyframe
	// DecodeErr is what ffmpeg said decoding the whole file; empty when
	// it decoded cleanly.
	DecodeErr string
}

// ProbeVideo asks ffprobe (beside ffmpeg) about the video file at path,
// and has ffmpeg decode it all. A file ffprobe cannot read ends the test.
func ProbeVideo(t testing.TB, path string) Probe {
	t.Helper()
	ffmpeg := FFmpeg(t)
	ffprobe := filepath.Join(filepath.Dir(ffmpeg), "ffprobe")
	out, err := exec.Command(ffprobe, "-v", "error", "-count_packets", "-select_streams", "v:0",
		"-show_entries", "format=duration:stream=codec_name,nb_read_packets", "-of", "json", path).CombinedOutput()
	if err != nil {
		t.Fatalf("testsvc: ffprobe %s: %v\n%s", path, err, out)
	}
	var j struct {
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			Codec  string `json:"codec_name"`
			Frames string `json:"nb_read_packets"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &j); err != nil || len(j.Streams) != 1 {
		t.Fatalf("testsvc: ffprobe %s: %v\n%s", path, err, out)
	}
	var p Probe
	p.Duration, _ = strconv.ParseFloat(j.Format.Duration, 64)
	p.Frames, _ = strconv.Atoi(j.Streams[0].Frames)
	p.Codec = j.Streams[0].Codec
	first, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1",
		"-show_entries", "frame=key_frame", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("testsvc: ffprobe %s, first frame: %v\n%s", path, err, first)
	}
	p.FirstKey = bytes.HasPrefix(first, []byte("1")) // key_frame, then side data
	dec, err := exec.Command(ffmpeg, "-v", "error", "-nostdin", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(dec)) > 0 {
		p.DecodeErr = string(dec)
		if err != nil {
			p.DecodeErr += err.Error()
		}
	}
	return p
}
