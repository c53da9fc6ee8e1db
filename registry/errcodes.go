package registry

// The error codes registries send in an OCI error body: the distribution
// spec's, then those distribution adds. Compare with these, never with
// string literals.
const (
	CodeBlobUnknown         = "BLOB_UNKNOWN"
	CodeBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	CodeBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	CodeDigestInvalid       = "DIGEST_INVALID"
	CodeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	CodeManifestInvalid     = "MANIFEST_INVALID"
	CodeManifestUnknown     = "MANIFEST_UNKNOWN"
	CodeNameInvalid         = "NAME_INVALID"
	CodeNameUnknown         = "NAME_UNKNOWN"
	CodeSizeInvalid         = "SIZE_INVALID"
	CodeDenied              = "DENIED"
	CodeTooManyRequests     = "TOOMANYREQUESTS"
	// CodeUnauthorized and CodeUnsupported are the spec's too; see errors.go.

	// distribution's own.
	CodeUnknown                 = "UNKNOWN"
	CodeUnavailable             = "UNAVAILABLE"
	CodeTagInvalid              = "TAG_INVALID"
	CodeManifestUnverified      = "MANIFEST_UNVERIFIED"
	CodePaginationNumberInvalid = "PAGINATION_NUMBER_INVALID"
	CodeRangeInvalid            = "RANGE_INVALID"
)

// CodeOther stands for any code not in KnownCodes where a bounded set of
// values is needed, as in a metric tag; the code itself stays in the error.
const CodeOther = "OTHER"

// KnownCodes are every code a failure is tagged with as it is: the
// registries' codes above and the client's own.
var KnownCodes = []string{
	CodeBlobUnknown, CodeBlobUploadInvalid, CodeBlobUploadUnknown, CodeDigestInvalid,
	CodeManifestBlobUnknown, CodeManifestInvalid, CodeManifestUnknown, CodeNameInvalid,
	CodeNameUnknown, CodeSizeInvalid, CodeUnauthorized, CodeDenied, CodeUnsupported,
	CodeTooManyRequests, CodeUnknown, CodeUnavailable, CodeTagInvalid, CodeManifestUnverified,
	CodePaginationNumberInvalid, CodeRangeInvalid,
	CodeDigestMismatch, CodeSizeMismatch, CodeTimeout, CodeCanceled, CodeConnectionRefused,
	CodeConnectionReset, CodeDNS, CodeTLS, CodeNetwork, CodeUnexpectedStatus, CodeNotFound,
	CodeInvalidResponse, CodeContentUnreadable, CodeForeignChallenge, CodePlatformNotFound,
}

var knownCodes = func() map[string]bool {
	m := make(map[string]bool, len(KnownCodes))
	for _, c := range KnownCodes {
		m[c] = true
	}
	return m
}()

// BoundedCode is code when it is one of KnownCodes, else CodeOther: a
// registry that invents codes cannot make tag values without end.
func BoundedCode(code string) string {
	if knownCodes[code] {
		return code
	}
	return CodeOther
}
