package config

// This file lends the http section to other config files (the county
// view's, gateway/countyconfig): the same keys, defaults, secrets and
// checks as the gateway's, without a gateway's other sections.

// DefaultHTTP is the http section's defaults.
func DefaultHTTP() HTTP { return base().HTTP }

// DefaultLog is the log section's defaults.
func DefaultLog() Log { return base().Log }

// PrepareHTTP does to an http section read from another config file what
// Load does to a gateway's: it reads its "env:NAME" secrets, makes its
// relative paths relative to dir (the file's directory) and checks it. at
// places each problem in that file (key paths start with "http.").
func PrepareHTTP(h *HTTP, dir string, lookupEnv func(string) (string, bool), at func(key, format string, args ...any) Problem) []Problem {
	c := Config{HTTP: *h}
	c.resolvePaths(dir)
	probs := c.resolveEnv(lookupEnv, at)
	k := &checker{at: at}
	c.checkHTTP(k)
	*h = c.HTTP
	return append(probs, k.probs...)
}
