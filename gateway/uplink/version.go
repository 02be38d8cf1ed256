package uplink

import "runtime/debug"

// BuildVersion is the running binary's version from its build
// information: the module version ("(devel)" for a build from a
// checkout), then the commit and "+dirty" when the build recorded them,
// e.g. "(devel) 4d0c6c4a1b2c+dirty".
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " " + rev[:min(12, len(rev))] + dirty
	}
	return v
}
