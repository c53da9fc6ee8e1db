package js

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"go.k6.io/k6/v2/lib/netext"
	"go.k6.io/k6/v2/lib/netext/httpext"
	"golang.org/x/net/http2"
)

// k6 does not export how k6/http names a failed request, so this is the
// small adapter the error_code and error system tags come from: k6's
// documented error codes (https://grafana.com/docs/k6/latest/javascript-api/error-codes/)
// and k6/http's messages for them. e2e/k6tags_test.go checks it against
// k6/http requests to the same URLs.

// k6 error codes, as documented.
const (
	k6CodeGeneric         = 1000
	k6CodeNonTCP          = 1010
	k6CodeRequestTimeout  = 1050
	k6CodeDNS             = 1100
	k6CodeNoSuchHost      = 1101
	k6CodeBlacklistedIP   = 1110
	k6CodeBlockedHostname = 1111
	k6CodeTCP             = 1200
	k6CodeBrokenPipe      = 1201
	k6CodeUnknownErrno    = 1202
	k6CodeDial            = 1210
	k6CodeDialTimeout     = 1211
	k6CodeDialRefused     = 1212
	k6CodeDialErrno       = 1213
	k6CodeResetByPeer     = 1220
	k6CodeTLSHeader       = 1301
	k6CodeUnknownCA       = 1310
	k6CodeHostnameCert    = 1311
	k6CodeHTTP2GoAway     = 1610 // + 1 + the HTTP/2 error code, when known
	k6CodeHTTP2Stream     = 1630 // likewise
	k6CodeHTTP2Conn       = 1650 // likewise
)

// k6StatusCode is k6's error code of an HTTP error status.
func k6StatusCode(status int) int { return 1000 + status }

// k6Failure is the error_code and error of a request that got no response,
// or whose body broke off, as k6/http tags them.
func k6Failure(err error) (int, string) {
	var (
		k6Err   httpext.K6Error
		dnsErr  *net.DNSError
		opErr   *net.OpError
		netErr  net.Error
		urlErr  *url.Error
		unkCA   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &k6Err):
		return int(k6Err.Code), k6Err.Message
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return k6CodeDialTimeout, "dial: i/o timeout"
		}
		return k6CodeRequestTimeout, "request timeout"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return k6CodeNoSuchHost, "lookup: no such host"
		}
		return k6CodeDNS, boundedMessage(dnsErr)
	case errors.As(err, new(netext.BlackListedIPError)):
		return k6CodeBlacklistedIP, "ip is blacklisted"
	case errors.As(err, new(netext.BlockedHostError)):
		return k6CodeBlockedHostname, "hostname is blocked"
	case errors.As(err, &opErr):
		return k6NetOpFailure(opErr)
	case errors.As(err, &unkCA):
		return k6CodeUnknownCA, "x509: unknown authority"
	case errors.As(err, &hostErr):
		return k6CodeHostnameCert, "x509: certificate doesn't match hostname"
	case errors.As(err, &recErr):
		return k6CodeTLSHeader, boundedMessage(recErr)
	case errors.As(err, &urlErr):
		return k6Failure(urlErr.Err)
	}
	inner := err
	for errors.Unwrap(inner) != nil {
		inner = errors.Unwrap(inner)
	}
	if code, msg, ok := k6HTTP2Failure(inner.Error()); ok {
		return code, msg
	}
	return k6CodeGeneric, boundedMessage(inner)
}

// k6NetOpFailure names a failure of a socket operation.
func k6NetOpFailure(e *net.OpError) (int, string) {
	if e.Net != "tcp" && e.Net != "tcp4" && e.Net != "tcp6" {
		return k6CodeNonTCP, boundedMessage(e)
	}
	var errno syscall.Errno
	hasErrno := errors.As(e.Err, &errno)
	switch {
	case hasErrno && errno == syscall.ECONNRESET:
		return k6CodeResetByPeer, e.Op + ": connection reset by peer"
	case hasErrno && errno == syscall.EPIPE:
		return k6CodeBrokenPipe, e.Op + ": broken pipe"
	case e.Op == "dial" && hasErrno && errno == syscall.ECONNREFUSED:
		return k6CodeDialRefused, "dial: connection refused"
	case e.Op == "dial" && hasErrno:
		return k6CodeDialErrno, fmt.Sprintf("dial: unknown errno %d error with msg `%s`", int(errno), errno.Error())
	case e.Op == "dial":
		if inner := errors.Unwrap(e); inner != nil {
			if code, msg := k6Failure(inner); code != k6CodeGeneric {
				return code, msg
			}
		}
		return k6CodeDial, boundedMessage(e)
	case hasErrno:
		return k6CodeUnknownErrno, fmt.Sprintf("%s: unknown errno `%d` on linux with message `%s`", e.Op, int(errno), errno.Error())
	}
	return k6CodeTCP, boundedMessage(e)
}

// k6HTTP2Failure names an HTTP/2 failure by its message, the one form that
// net/http's bundled HTTP/2 and golang.org/x/net/http2 share.
func k6HTTP2Failure(msg string) (int, string, bool) {
	kinds := []struct {
		prefix, codeAfter, codeEnd string
		base                       int
		what                       string
	}{
		{"stream error: ", "; ", ";", k6CodeHTTP2Stream, "stream error"},
		{"connection error: ", "connection error: ", "\x00", k6CodeHTTP2Conn, "connection error"},
		{"http2: server sent GOAWAY", "ErrCode=", ",", k6CodeHTTP2GoAway, "received GoAway"},
	}
	for _, k := range kinds {
		if !strings.HasPrefix(msg, k.prefix) {
			continue
		}
		_, rest, found := strings.Cut(msg, k.codeAfter)
		if !found {
			return 0, "", false
		}
		name, _, _ := strings.Cut(rest, k.codeEnd)
		code, ok := http2CodeNamed(strings.TrimSpace(name))
		if !ok {
			return 0, "", false
		}
		offset := 0
		if code <= http2.ErrCodeHTTP11Required {
			offset = 1 + int(code)
		}
		if k.what == "received GoAway" {
			return k.base + offset, "http2: received GoAway with http2 ErrCode " + code.String(), true
		}
		return k.base + offset, "http2: " + k.what + " with http2 ErrCode " + code.String(), true
	}
	return 0, "", false
}

// http2CodeNamed reads an HTTP/2 error code as its String method writes it.
func http2CodeNamed(name string) (http2.ErrCode, bool) {
	for code := http2.ErrCodeNo; code <= http2.ErrCodeHTTP11Required; code++ {
		if code.String() == name {
			return code, true
		}
	}
	if hex, ok := strings.CutPrefix(name, "unknown error code 0x"); ok {
		if v, err := strconv.ParseUint(hex, 16, 32); err == nil {
			return http2.ErrCode(v), true
		}
	}
	return 0, false
}

// maxErrorTag bounds the error tag; k6 tags the message as it is.
const maxErrorTag = 120

// variableParts are what makes one kind of failure many tag values:
// addresses with their ephemeral ports, and whatever a peer sent, which Go
// quotes.
var variableParts = regexp.MustCompile(`\[?[0-9a-fA-F:.]*[0-9a-fA-F]\]?:\d+|"[^"]*"?`)

// boundedMessage is an error's message for the error tag, with addresses
// and quoted peer text left out, so what a registry sends cannot make tag
// values without end.
func boundedMessage(err error) string {
	msg := variableParts.ReplaceAllStringFunc(err.Error(), func(s string) string {
		if strings.HasPrefix(s, `"`) {
			return `"…"`
		}
		return "{addr}"
	})
	if len(msg) > maxErrorTag {
		msg = msg[:maxErrorTag] + "…"
	}
	return msg
}
