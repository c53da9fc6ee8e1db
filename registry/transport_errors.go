package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// transportError is a failure to get a response as an *Error.
func transportError(ctx context.Context, op, method, where string, err error) *Error {
	// url.Error repeats the full URL, _state and all; where says it without the query.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	e := &Error{Op: op, Code: TransportCode(ctx, err), Err: err}
	e.Message = fmt.Sprintf("%s %s: %v", method, where, err)
	return e
}

// TransportCode names a failure to get or read a response: one of the
// Code* constants for timeouts, refusals, resets, DNS, TLS and the rest.
// ctx is the caller's context: when it is done the VU is stopping, which is
// CodeCanceled, not a registry timeout.
func TransportCode(ctx context.Context, err error) string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		unkCA   x509.UnknownAuthorityError
		hostErr x509.HostnameError
	)
	switch {
	case ctx.Err() != nil:
		return CodeCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return CodeTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return CodeConnectionRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		// The same cut seen while a body was still being written: net/http
		// closed the connection the peer had ended.
		errors.Is(err, net.ErrClosed),
		connectionEnded(err.Error()):
		return CodeConnectionReset
	case errors.As(err, &dnsErr):
		return CodeDNS
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &unkCA), errors.As(err, &hostErr),
		strings.Contains(err.Error(), "tls: "):
		return CodeTLS
	}
	return CodeNetwork
}

// endedConnection are what net/http and its HTTP/2 say of a connection or
// stream the peer ended, where no error value tells it.
var endedConnection = []string{
	"transport connection broken", "server closed idle connection", "client connection lost",
	"http2: server sent GOAWAY", "stream error: ", "connection error: ",
}

// connectionEnded tells whether msg says the peer ended the connection or
// the stream.
func connectionEnded(msg string) bool {
	for _, s := range endedConnection {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// bodyError classifies a failure while reading a response body.
func bodyError(ctx context.Context, op, where string, err error) *Error {
	e := &Error{Op: op, Code: TransportCode(ctx, err), Err: err, inBody: true}
	e.Message = fmt.Sprintf("reading %s: %v", where, err)
	return e
}
