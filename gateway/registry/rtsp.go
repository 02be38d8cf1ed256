package registry

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// RTSP says where to pull a camera's video from, and how.
type RTSP struct {
	// URL is rtsp://[user[:password]@]host[:port]/path (or rtsps://).
	// Its password is never shown: JSON carries the URL redacted.
	URL string `yaml:"url" json:"url"`
	// Transport is tcp (RTP interleaved in the RTSP connection, the
	// default) or udp.
	Transport string `yaml:"transport,omitempty" json:"transport,omitempty"`
	// Username and Password, when given, replace the URL's credentials.
	// Password is a reference to the gateway's environment, env:NAME, so
	// the secret stays out of the registry file.
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	Password string `yaml:"password,omitempty" json:"password,omitempty"`
}

// EnvPrefix starts an rtsp.password: env:CAM01_PASS names the gateway's
// environment variable CAM01_PASS.
const EnvPrefix = "env:"

// PasswordEnv is the environment variable rtsp.password names, or "".
func (r *RTSP) PasswordEnv() string {
	if name, ok := strings.CutPrefix(r.Password, EnvPrefix); ok {
		return name
	}
	return ""
}

// MarshalJSON writes r with the URL's password hidden.
func (r RTSP) MarshalJSON() ([]byte, error) {
	type plain RTSP
	p := plain(r)
	p.URL = RedactURL(r.URL)
	return json.Marshal(p)
}

// RedactURL returns raw with its password replaced by "xxxxx"; a string
// that is not a URL keeps nothing before an '@'.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Opaque == "" {
		return u.Redacted()
	}
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		scheme, _, ok := strings.Cut(raw, "://")
		if ok && !strings.Contains(scheme, "@") {
			return scheme + "://xxxxx@" + raw[i+1:]
		}
		return "xxxxx@" + raw[i+1:]
	}
	return raw
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkRTSP checks a camera's rtsp: an rtsp(s) URL with a host, a known
// transport, and a password only as env:NAME. Messages show the URL
// redacted.
func (d *decoder) checkRTSP(r *RTSP, s *spot) {
	if d.required(s, "rtsp.url", r.URL) && s.good("rtsp.url") {
		u, err := url.Parse(r.URL)
		switch {
		case err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Hostname() == "":
			d.add(s.lineOf("rtsp.url"), s.subject, "rtsp.url %q: want rtsp://host[:port]/path", RedactURL(r.URL))
		case u.Port() != "" && !validPort(u.Port()):
			d.add(s.lineOf("rtsp.url"), s.subject, "rtsp.url %q: port %s out of range 1..65535", RedactURL(r.URL), u.Port())
		}
	}
	if s.good("rtsp.transport") {
		switch r.Transport {
		case "", "tcp", "udp":
		default:
			d.add(s.lineOf("rtsp.transport"), s.subject, "rtsp.transport %q: want tcp or udp", r.Transport)
		}
	}
	if s.good("rtsp.password") && r.Password != "" && !envName.MatchString(r.PasswordEnv()) {
		// The value may be the secret itself: never echo it.
		d.add(s.lineOf("rtsp.password"), s.subject,
			"rtsp.password: want env:NAME (the gateway's environment variable that holds it), not the password itself")
	}
}
