package registry

import (
	"net/http"
	"time"
)

// Config describes one client of one registry.
type Config struct {
	// URL is the registry base: scheme, host[:port] and an optional path prefix.
	URL string
	// Username and Password are sent as Basic credentials, or to a token realm.
	Username, Password string
	// Token is a static bearer token, sent up front.
	Token string
	// Headers are added to every registry request (not to token requests).
	Headers http.Header
	// Timeout bounds each HTTP request, its body included; 0 means none.
	Timeout time.Duration
	// Transport sends the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// UserAgent is sent on every request when set.
	UserAgent string
	// OnTransfer, when set, is called once per blob transferred (or failed),
	// from the goroutine that moved it.
	OnTransfer func(Transfer)
}

// Direction of a blob transfer.
const (
	DirectionPull = "pull"
	DirectionPush = "push"
)

// Transfer reports one blob moved between client and registry.
type Transfer struct {
	Direction  string // DirectionPull or DirectionPush
	Repository string
	Digest     string
	Bytes      int64         // bytes moved; 0 for a mount
	Duration   time.Duration // from first request to last byte
	Mounted    bool          // push only: satisfied by a cross-repository mount
	Err        error
}

// UploadMode is how a blob's bytes are sent.
type UploadMode string

// Upload modes; see the README for the requests each sends.
const (
	UploadMonolithic UploadMode = "monolithic" // POST, PUT ?digest= with the body
	UploadStream     UploadMode = "stream"     // POST, one PATCH with the body, PUT ?digest=
	UploadChunked    UploadMode = "chunked"    // POST, PATCHes of ChunkSize, PUT ?digest=
	UploadPost       UploadMode = "post"       // POST ?digest= with the body (PUT if 202)
)

// DefaultChunkSize is the chunk size of chunked uploads when none is given.
const DefaultChunkSize = 5 << 20

// UploadOptions tune one blob upload.
type UploadOptions struct {
	Mode      UploadMode // default UploadStream
	ChunkSize int64      // chunked mode only; default DefaultChunkSize
	// MountFrom names a repository to try a cross-repository mount from
	// before uploading.
	MountFrom string
	// SkipExisting sends a HEAD first and skips a blob the repository has.
	SkipExisting bool
}

// UploadResult is the outcome of one blob upload.
type UploadResult struct {
	Status   int // last HTTP status
	Digest   string
	Size     int64
	Location string // the blob's location as the registry gave it
	Mounted  bool
	Skipped  bool
}

// PushOptions tune a push.
type PushOptions struct {
	UploadOptions
	// Concurrency is how many blobs are uploaded at once; default 1.
	Concurrency int
}

// PushResult is the outcome of a push; on error it holds what was done.
type PushResult struct {
	Status   int // last HTTP status
	Ref      string
	Digest   string // manifest digest
	Bytes    int64  // blob bytes uploaded
	Uploaded int    // blobs uploaded
	Skipped  int    // blobs found present
	Mounted  int    // blobs mounted
	// FallbackTag is the referrers tag schema tag the push updated, for an
	// artifact with a subject on a registry without the referrers API.
	FallbackTag string
}

// PullOptions tune a pull.
type PullOptions struct {
	// Verify checks every body against its digest; on by default in package js.
	Verify bool
	// Concurrency is how many blobs are fetched at once; default 1.
	Concurrency int
	// Platform picks the manifest of an index, "os/arch[/variant]";
	// default linux/amd64.
	Platform string
}

// PullResult is the outcome of a pull; on error it holds what was done.
type PullResult struct {
	Status    int // last HTTP status
	Ref       string
	Digest    string // digest of the manifest asked for (the index, for a list)
	MediaType string
	Bytes     int64 // blob bytes received (config and layers)
	Blobs     int   // blobs fetched
}
