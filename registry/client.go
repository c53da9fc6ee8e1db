package registry

import (
	"context"
	"errors"
)

// Client speaks the distribution protocol to one registry. It is safe for
// concurrent use.
type Client struct {
	cfg Config
}

// New checks cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	return &Client{cfg: cfg}, nil
}

var errTODO = errors.New("not implemented yet")

// Ping sends GET /v2/, answering an auth challenge, and returns the status.
func (c *Client) Ping(ctx context.Context) (int, error) { return 0, errTODO }

// Pull fetches ref's manifest, resolving an index to opts.Platform, then its
// config and layers, streaming each body through its digest check.
// The result is never nil; on error it holds what was done.
func (c *Client) Pull(ctx context.Context, ref string, opts PullOptions) (*PullResult, error) {
	return &PullResult{Ref: ref}, errTODO
}

// Push uploads img's blobs into ref's repository and puts its manifest at ref.
// The result is never nil; on error it holds what was done.
func (c *Client) Push(ctx context.Context, ref string, img *Image, opts PushOptions) (*PushResult, error) {
	return &PushResult{Ref: ref}, errTODO
}

// UploadBlob uploads one blob into repo. The result is never nil.
func (c *Client) UploadBlob(ctx context.Context, repo string, blob BlobSource, opts UploadOptions) (*UploadResult, error) {
	return &UploadResult{}, errTODO
}
