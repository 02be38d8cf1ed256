package rtsp

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// args is ffmpeg's command line: pull target over the configured
// transport and send its first video stream, unchanged, as RTP to the
// listener at to (host:port).
func args(c Config, target *url.URL, to string) []string {
	return []string{
		"-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
		"-rtsp_transport", c.Transport,
		// Socket I/O timeout in µs: a camera that stops answering (at
		// connect or mid-stream) ends ffmpeg instead of hanging it.
		"-timeout", strconv.FormatInt(c.Timeout.Microseconds(), 10),
		// Probe 1 s, not ffmpeg's default 5 s: that would be 5 s without
		// video at every start, the RTP listener's silence limit. -c
		// copy needs the codec only.
		"-analyzeduration", "1000000",
		// Do not hold back the first pictures to estimate the frame rate
		// (20 by default, nearly a second): -c copy does not need it, and
		// they went out in one burst of a few milliseconds at every
		// (re)connect, a second of video with one arrival time.
		"-fpsprobesize", "0",
		// Keep the camera's timestamps as they are. ffmpeg gets the
		// first picture of an RTSP pull without one; without -copyts it
		// re-bases the stream at the first known one (the second
		// picture's) and guesses the first at that same instant, so the
		// keyframe and the next picture went out with one RTP timestamp.
		"-copyts",
		"-i", target.String(),
		"-map", "0:v:0", "-c", "copy",
		// Parameter sets (SPS/PPS, VPS) before every keyframe: a camera
		// that gives them only in its SDP still yields a stream the
		// gateway can cut clips from. Not added where they already are.
		"-bsf:v", "dump_extra=freq=keyframe",
		// 1200-byte packets, as cameras send: no IP fragmentation.
		"-f", "rtp", "rtp://" + to + "?pkt_size=1200",
	}
}

// The reasons a pull fails, as ffmpeg tells them.
const (
	ReasonUnauthorized = "unauthorized" // 401: wrong or missing credentials
	ReasonForbidden    = "forbidden"    // 403
	ReasonNotFound     = "not_found"    // 404: no such path on the camera
	ReasonRefused      = "refused"      // TCP connection refused: nothing listens at host:port
	ReasonUnreachable  = "unreachable"  // no route, unknown host name, connect timed out
	ReasonTimeout      = "timeout"      // the camera stopped answering
	ReasonNoVideo      = "no_video"     // the camera offers no video stream
	ReasonBadURL       = "bad_url"      // the URL is not one ffmpeg can open
	ReasonCredentials  = "credentials"  // the password's env: variable is not set
	ReasonEnded        = "ended"        // ffmpeg ended without an error: the camera closed the stream, or sent nothing for the timeout
	ReasonExited       = "exited"       // ffmpeg failed for another reason (its last line says why)
)

// Reasons lists every failure reason, for metrics.
var Reasons = []string{ReasonUnauthorized, ReasonForbidden, ReasonNotFound, ReasonRefused, ReasonUnreachable,
	ReasonTimeout, ReasonNoVideo, ReasonBadURL, ReasonCredentials, ReasonEnded, ReasonExited}

// failures maps what ffmpeg 5–7 print to a reason, first match wins.
var failures = []struct{ text, reason string }{
	{"401 Unauthorized", ReasonUnauthorized},
	{"403 Forbidden", ReasonForbidden},
	{"404 Not Found", ReasonNotFound},
	{"Connection refused", ReasonRefused},
	{"No route to host", ReasonUnreachable},
	{"Network is unreachable", ReasonUnreachable},
	{"Failed to resolve hostname", ReasonUnreachable},
	{"Name or service not known", ReasonUnreachable},
	{"Temporary failure in name resolution", ReasonUnreachable},
	{"Connection timed out", ReasonUnreachable},
	{"timed out", ReasonTimeout},
	{"matches no streams", ReasonNoVideo},
	{"Protocol not found", ReasonBadURL},
	{"Invalid argument", ReasonBadURL},
}

// endedLine is what a pull that ffmpeg ended without an error says.
const endedLine = "ffmpeg ended without an error: the camera closed the stream, or sent nothing for the timeout"

// classify is the reason of ffmpeg's failure from its output lines, and
// the line that says so (the last line when none matches, endedLine when
// ffmpeg ended without an error).
func classify(lines []string, exitedOK bool) (reason, line string) {
	for _, f := range failures {
		for _, l := range lines {
			if strings.Contains(l, f.text) {
				return f.reason, l
			}
		}
	}
	if exitedOK {
		// ffmpeg's last line is then its byte count ("video:333kB
		// audio:0kB …"), which says nothing to whoever reads the log.
		return ReasonEnded, endedLine
	}
	if len(lines) > 0 {
		line = lines[len(lines)-1]
	}
	return ReasonExited, line
}

// videoStream matches ffmpeg's description of an input video stream:
// "  Stream #0:0: Video: h264 (Main), yuv420p(progressive), 1920x1080, …".
var videoStream = regexp.MustCompile(`^\s*Stream #0:\d+.*?: Video: ([a-z0-9_]+)`)

// codecOf returns the codec named by an input stream line, if it is one.
func codecOf(line string) (string, bool) {
	m := videoStream.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// started reports whether line shows that ffmpeg has the stream and
// sends it on.
func started(line string) bool { return strings.HasPrefix(line, "Stream mapping:") }

// scrubber hides secrets in ffmpeg's output: the URL with its password,
// and the password alone, raw and escaped.
type scrubber struct{ r *strings.Replacer }

func newScrubber(target *url.URL) scrubber {
	var pairs []string
	full := target.String()
	if pw, ok := target.User.Password(); ok && pw != "" {
		pairs = append(pairs, full, target.Redacted())
		for _, s := range []string{url.PathEscape(pw), url.QueryEscape(pw), pw} {
			pairs = append(pairs, s, "xxxxx")
		}
	}
	return scrubber{r: strings.NewReplacer(pairs...)}
}

// Scrub returns line with every secret replaced.
func (s scrubber) Scrub(line string) string { return s.r.Replace(line) }
