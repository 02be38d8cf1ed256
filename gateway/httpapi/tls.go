package httpapi

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certRecheck is how often the certificate files are looked at for a
// renewal (their modification time), at most.
const certRecheck = 10 * time.Second

// certSource serves the HTTPS certificate and picks up a renewed one from
// its files without a restart: a gateway that pages people is not
// restarted lightly, and certificates from an internal CA are renewed
// often. A renewal that does not load is logged and the old certificate
// kept.
type certSource struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	mod     time.Time // newest modification time of the two files when loaded
	checked time.Time
}

func newCertSource(certFile, keyFile string, log *slog.Logger, now func() time.Time) (*certSource, error) {
	c := &certSource{certFile: certFile, keyFile: keyFile, log: log, now: now}
	mod, err := c.modTime()
	if err != nil {
		return nil, err
	}
	cert, err := loadCert(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	c.cert, c.mod, c.checked = cert, mod, now()
	return c, nil
}

func loadCert(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("httpapi: tls certificate %s and key %s: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil && len(cert.Certificate) > 0 {
		cert.Leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	return &cert, nil
}

func (c *certSource) modTime() (time.Time, error) {
	var newest time.Time
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return time.Time{}, fmt.Errorf("httpapi: tls: %w", err)
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	return newest, nil
}

// get returns the certificate to present, reloading it when its files
// changed.
func (c *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.checked) < certRecheck {
		return c.cert, nil
	}
	c.checked = now
	mod, err := c.modTime()
	if err != nil || mod.Equal(c.mod) {
		return c.cert, nil
	}
	cert, err := loadCert(c.certFile, c.keyFile)
	if err != nil {
		// A half-written renewal (the key copied, the cert not yet) is
		// tried again at the next check.
		c.log.Warn("http api: renewed TLS certificate not loaded; the old one is kept", "err", err)
		return c.cert, nil
	}
	c.cert, c.mod = cert, mod
	c.log.Info("http api: TLS certificate reloaded", "cert", c.certFile, "not_after", notAfter(cert))
	return c.cert, nil
}

// current returns the certificate in use.
func (c *certSource) current() *tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cert
}

// tlsConfig is the HTTPS configuration: TLS 1.2 or newer, with Go's
// default cipher suites (forward-secret ones only).
func (c *certSource) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get}
}

func notAfter(c *tls.Certificate) time.Time {
	if c.Leaf == nil {
		return time.Time{}
	}
	return c.Leaf.NotAfter
}
