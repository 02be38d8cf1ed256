// Package videorec keeps each camera's last seconds of H.264 video in a
// bounded ring and writes evidence clips from it.
//
// A Recorder per camera takes the access units its RTP listener
// depacketises (drivers/h264) into a ring of the last Config.Ring
// seconds (30 by default) that always starts on a keyframe and never
// holds more than Config.MaxBytes: whole groups of pictures leave from
// the old end. Frames are packed into reused chunks mapped outside the Go
// heap, so the packet path allocates nothing and the rings do not double
// the process's memory through the collector's headroom.
//
// Clip writes the video around an instant — pre-roll from the ring,
// post-roll as it arrives — as a standard MP4 (gomedia's muxer, moov
// moved in front) via a temp file and a rename. It never holds up the
// camera's listener: it copies frames out of the ring in bounded batches
// and writes outside the ring's lock. An H.265 camera yields
// ErrUnsupportedCodec, a camera with no video ErrNoVideo.
//
// Ring and clip counters are gridwatch_video_* metrics.
package videorec
