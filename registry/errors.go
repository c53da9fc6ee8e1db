package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Error codes of our own, for failures the registry did not describe with an
// OCI error code. OCI codes (BLOB_UNKNOWN, DENIED, ...) pass through as sent.
const (
	CodeDigestMismatch    = "DIGEST_MISMATCH"    // content read does not hash to its digest
	CodeSizeMismatch      = "SIZE_MISMATCH"      // content read is not of its descriptor's size
	CodeTimeout           = "TIMEOUT"            // the per-request timeout passed
	CodeCanceled          = "CANCELED"           // the VU context ended (test over or aborted)
	CodeConnectionRefused = "CONNECTION_REFUSED" // nothing listens at the registry address
	CodeConnectionReset   = "CONNECTION_RESET"   // the peer reset or closed the connection
	CodeDNS               = "DNS_ERROR"          // the registry host name did not resolve
	CodeTLS               = "TLS_ERROR"          // TLS handshake or certificate failure
	CodeNetwork           = "NETWORK_ERROR"      // any other transport failure
	CodeUnexpectedStatus  = "UNEXPECTED_STATUS"  // a status with no OCI error body
	CodeUnauthorized      = "UNAUTHORIZED"       // 401 with no OCI error body
	CodeNotFound          = "NOT_FOUND"          // 404 with no OCI error body
	CodeInvalidResponse   = "INVALID_RESPONSE"   // a response that breaks the protocol
	CodeUnsupported       = "UNSUPPORTED"        // content the client cannot handle
	CodeContentUnreadable = "CONTENT_UNREADABLE" // a blob to upload could not be read (e.g. a loaded file gone)
	CodeForeignChallenge  = "FOREIGN_CHALLENGE"  // a 401 from another origin than the registry's, not answered
)

// Error is a failed registry operation: the OCI error code when the registry
// sent one, else one of ours. Callers branch on Code, never on Message.
type Error struct {
	// Op is the request operation (an Op* constant) that failed.
	Op string
	// Status is the HTTP status, 0 when no response came.
	Status int
	// Code is the first OCI error code, or one of the Code* constants.
	Code string
	// Message is human-readable and free of credentials.
	Message string
	// Detail holds the registry's other errors, if it sent several.
	Detail []ErrorDetail
	// Err is the underlying Go error, if any.
	Err error

	// inBody marks a failure while reading a response body, which a retry
	// of the whole step may mend.
	inBody bool
	// header is the refusing response's, for its Retry-After.
	header http.Header
	// restart marks the failure of a request that carried a whole blob and
	// is not sent again as it was: the upload starts over instead.
	restart bool
}

// ErrorDetail is one entry of an OCI error body.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	fmt.Fprintf(&b, ": %s", e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// contentError is a failure to read or describe content to upload: the
// test ending while a generated blob was digested (CodeCanceled), or
// content that cannot be read, such as a loaded file gone.
func contentError(ctx context.Context, op, what string, err error) *Error {
	code := CodeContentUnreadable
	if ctx.Err() != nil {
		code = CodeCanceled
	}
	return &Error{Op: op, Code: code, Message: what + ": " + err.Error(), Err: err}
}

// HasCode tells whether err is a registry *Error with one of codes.
func HasCode(err error, codes ...string) bool {
	var re *Error
	if !errors.As(err, &re) {
		return false
	}
	for _, c := range codes {
		if re.Code == c {
			return true
		}
	}
	return false
}

// StatusOf is the HTTP status a failure came with, 0 if none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// responseError reads resp's OCI error body, if any, into an *Error. It
// does not close the body.
func responseError(op string, resp *http.Response) *Error {
	e := &Error{Op: op, Status: resp.StatusCode, header: resp.Header}
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
		return CodeDenied
	case http.StatusTooManyRequests:
		return CodeTooManyRequests
	case http.StatusNotFound:
		switch op {
		case OpBlobGet, OpBlobHead:
			return CodeBlobUnknown
		case OpManifestGet, OpManifestHead:
			return CodeManifestUnknown
		case OpUploadChunk, OpUploadComplete, OpUploadCancel:
			return CodeBlobUploadUnknown
		}
		return CodeNotFound
	}
	return CodeUnexpectedStatus
}

// failedInBody tells whether err broke off a response body.
func failedInBody(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.inBody
}

// restartable marks err, the failure of a request that carried a whole
// blob, as one the upload may start over after.
func restartable(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	marked := *e
	marked.restart = true
	return &marked
}

// mayRestart tells whether an upload that failed with err may start over.
func mayRestart(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.restart
}
