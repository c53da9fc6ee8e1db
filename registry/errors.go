package registry

import (
	"errors"
	"fmt"
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
