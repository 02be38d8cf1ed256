package mqttconn

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
)

// ReadCredentials reads a credentials file for per-id logins: one
// `id password` a line (separated by spaces or tabs; the password is the
// rest of the line, trimmed), blank lines and lines starting with # are
// skipped. Every bad line is reported with its file:line.
func ReadCredentials(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	seen := map[string]int{}
	var errs []error
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, pw, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(id, '\t'); i >= 0 {
			id, pw = line[:i], line[i+1:]
		}
		pw = strings.TrimSpace(pw)
		switch {
		case !wire.ValidID(id):
			errs = append(errs, fmt.Errorf("%s:%d: %q is not an id ([A-Za-z0-9._-]{1,64})", path, n, id))
		case pw == "":
			errs = append(errs, fmt.Errorf("%s:%d: no password for %s (want `id password`)", path, n, id))
		case seen[id] != 0:
			errs = append(errs, fmt.Errorf("%s:%d: %s already has a password on line %d", path, n, id, seen[id]))
		default:
			out[id], seen[id] = pw, n
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
