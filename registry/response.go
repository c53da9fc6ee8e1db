package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// responseError reads resp's OCI error body, if any, into an *Error. It
// does not close the body.
func responseError(op string, resp *http.Response) *Error {
	e := &Error{Op: op, Status: resp.StatusCode}
	var body struct {
		Errors []ErrorDetail `json:"errors"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if len(raw) > 0 && json.Unmarshal(raw, &body) == nil && len(body.Errors) > 0 {
		e.Code = body.Errors[0].Code
		e.Message = body.Errors[0].Message
		e.Detail = body.Errors[1:]
		if e.Code != "" {
			return e
		}
	}
	e.Code = codeForStatus(op, resp.StatusCode)
	e.Message = http.StatusText(resp.StatusCode)
	return e
}

// codeForStatus names a status that came with no OCI error body, as HEAD
// responses always do, so GET and HEAD of one thing fail with one code.
func codeForStatus(op string, status int) string {
	switch status {
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return "DENIED"
	case http.StatusTooManyRequests:
		return "TOOMANYREQUESTS"
	case http.StatusNotFound:
		switch op {
		case OpBlobGet, OpBlobHead:
			return "BLOB_UNKNOWN"
		case OpManifestGet, OpManifestHead:
			return "MANIFEST_UNKNOWN"
		case OpUploadChunk, OpUploadComplete, OpUploadCancel:
			return "BLOB_UPLOAD_UNKNOWN"
		}
		return CodeNotFound
	}
	return CodeUnexpectedStatus
}

// transportError classifies a failure to get a response. ctx is the
// caller's context: when it is done the VU is stopping, which is not a
// registry timeout.
func transportError(ctx context.Context, op, method, name string, err error) *Error {
	// url.Error repeats the full URL, _state and all; name says where.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	e := &Error{Op: op, Code: classify(ctx, err), Err: err}
	e.Message = fmt.Sprintf("%s %s: %v", method, name, err)
	return e
}

func classify(ctx context.Context, err error) string {
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
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return CodeConnectionReset
	case errors.As(err, &dnsErr):
		return CodeDNS
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &unkCA), errors.As(err, &hostErr),
		strings.Contains(err.Error(), "tls: "):
		return CodeTLS
	}
	return CodeNetwork
}

// bodyError classifies a failure while reading a response body.
func bodyError(ctx context.Context, op, name string, err error) *Error {
	e := &Error{Op: op, Code: classify(ctx, err), Err: err}
	e.Message = fmt.Sprintf("reading %s: %v", name, err)
	return e
}
