package rtsp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Transports RTSP can carry the media over.
const (
	// TransportTCP interleaves RTP in the RTSP connection: one TCP
	// connection through any firewall or NAT, no loss. The default.
	TransportTCP = "tcp"
	// TransportUDP asks the camera to send RTP/UDP to ports ffmpeg opens.
	TransportUDP = "udp"
)

// Defaults of Config.
const (
	// DefaultTimeout is how long ffmpeg waits on a silent socket (at
	// connect, or mid-stream) before it gives up and the Puller fails.
	DefaultTimeout = 10 * time.Second
	// DefaultFFmpeg is the ffmpeg binary looked up on PATH.
	DefaultFFmpeg = "ffmpeg"
)

// Config is one camera to pull.
type Config struct {
	// Device is the camera's registry id.
	Device string
	// URL is rtsp://[user[:password]@]host[:port]/path (or rtsps://).
	URL string
	// Username and Password, each when set, replace the URL's user name
	// and password. Password is the secret itself (the gateway resolves an
	// env: reference before it builds the Puller).
	Username, Password string
	// Transport is TransportTCP (default) or TransportUDP.
	Transport string
	// Timeout is ffmpeg's socket timeout; DefaultTimeout if zero.
	Timeout time.Duration
	// FFmpeg is the ffmpeg binary; DefaultFFmpeg if empty.
	FFmpeg string
}

// Validate returns every problem of c at once. Its messages carry the URL
// redacted.
func (c Config) Validate() error {
	var errs []error
	if c.Device == "" {
		errs = append(errs, errors.New("rtsp: no device"))
	}
	if _, err := c.target(); err != nil {
		errs = append(errs, err)
	}
	switch c.Transport {
	case "", TransportTCP, TransportUDP:
	default:
		errs = append(errs, fmt.Errorf("rtsp %s: transport %q: want tcp or udp", c.Device, c.Transport))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("rtsp %s: negative timeout %v", c.Device, c.Timeout))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Transport == "" {
		c.Transport = TransportTCP
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.FFmpeg == "" {
		c.FFmpeg = DefaultFFmpeg
	}
	return c
}

// target is the URL ffmpeg opens: the configured one with Username and
// Password put in, when given.
func (c Config) target() (*url.URL, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "" {
		return nil, fmt.Errorf("rtsp %s: url %q: want rtsp://host[:port]/path", c.Device, Redact(c.URL))
	}
	if c.Password != "" {
		user := c.Username
		if user == "" && u.User != nil {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, c.Password)
	} else if c.Username != "" {
		if pw, ok := u.User.Password(); ok {
			u.User = url.UserPassword(c.Username, pw)
		} else {
			u.User = url.User(c.Username)
		}
	}
	return u, nil
}

// Redact returns rawURL with its password, if any, replaced by "xxxxx"
// (the user name stays: it helps to tell which login a camera refused).
// A string that does not parse as a URL is cut to its scheme and host
// part with everything before an '@' hidden, so that a typo never leaks
// a secret.
func Redact(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Opaque == "" {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		scheme, rest = "", rawURL
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = "xxxxx@" + rest[i+1:]
	}
	if scheme == "" {
		return rest
	}
	return scheme + "://" + rest
}
