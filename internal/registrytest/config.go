package registrytest

import (
	"fmt"
	"strings"
)

// config is what the harness sets in a distribution v3 configuration file.
type config struct {
	addr     string // http.addr, host:port
	rootDir  string // storage.filesystem.rootdirectory
	secret   string // http.secret, so the registry does not warn about a random one
	htpasswd *htpasswdAuth
	token    *tokenAuth
	logLevel string // "" means warn
	tls      *tlsFiles
	// debugAddr is http.debug.addr, host:port, serving Prometheus metrics
	// on metricsPath; empty means no debug server.
	debugAddr string
	// upstream is proxy.remoteurl: the registry is a pull-through cache of it.
	upstream string
	// requestLog turns on the JSON log at level info, a line per request,
	// and the access log: what a replay plans from.
	requestLog bool
}

// metricsPath is where the debug server serves Prometheus metrics.
const metricsPath = "/metrics"

// tlsFiles are the paths of a server certificate and its key.
type tlsFiles struct {
	certificate, key string
}

type htpasswdAuth struct {
	realm, path string
}

// tokenAuth holds the keys distribution v3 reads under auth.token; jwks is
// the path of a JWKS file, v3's replacement for a root certificate bundle.
type tokenAuth struct {
	realm, service, issuer, jwks string
}

// yaml renders the configuration. Strings are written double-quoted with
// Go escapes, which YAML reads the same way.
func (c config) yaml() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\n")
	level := c.logLevel
	if level == "" {
		level = "warn"
	}
	formatter, accessLogOff := "text", true
	if c.requestLog {
		level, formatter, accessLogOff = "info", "json", false
	}
	// No access log unless asked: it costs the registry CPU on every request of a load test.
	fmt.Fprintf(&b, "log:\n  level: %s\n  formatter: %s\n  accesslog:\n    disabled: %t\n", level, formatter, accessLogOff)
	fmt.Fprintf(&b, "storage:\n")
	fmt.Fprintf(&b, "  filesystem:\n    rootdirectory: %q\n", c.rootDir)
	fmt.Fprintf(&b, "  delete:\n    enabled: true\n")
	fmt.Fprintf(&b, "http:\n  addr: %q\n  secret: %q\n", c.addr, c.secret)
	if c.tls != nil {
		fmt.Fprintf(&b, "  tls:\n    certificate: %q\n    key: %q\n", c.tls.certificate, c.tls.key)
	}
	if c.debugAddr != "" {
		fmt.Fprintf(&b, "  debug:\n    addr: %q\n    prometheus:\n      enabled: true\n      path: %q\n", c.debugAddr, metricsPath)
	}
	if c.upstream != "" {
		fmt.Fprintf(&b, "proxy:\n  remoteurl: %q\n", c.upstream)
	}
	switch {
	case c.htpasswd != nil:
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: %q\n    path: %q\n", c.htpasswd.realm, c.htpasswd.path)
	case c.token != nil:
		fmt.Fprintf(&b, "auth:\n  token:\n    realm: %q\n    service: %q\n    issuer: %q\n    jwks: %q\n",
			c.token.realm, c.token.service, c.token.issuer, c.token.jwks)
	}
	return []byte(b.String())
}
