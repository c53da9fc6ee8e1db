package registry

import (
	"context"
	"net/http"
)

// RequestInfo travels in the context of every request the client sends, so a
// transport wrapping the client (the k6 binding) can tag and judge it without
// parsing URLs. Each attempt of a request gets its own RequestInfo.
type RequestInfo struct {
	// Op is one of the Op* constants.
	Op string
	// Name is the request URL with digests, tags, upload ids and query
	// removed, e.g. "http://host/v2/team/app/blobs/{digest}": bounded
	// cardinality, safe as a metric tag.
	Name string
	// Expected lists the statuses this request may answer with as part of a
	// normal flow beyond 2xx/3xx, e.g. 404 for a HEAD that checks existence.
	Expected []int
	// Challenged is set by the auth layer before it closes a 401 response
	// it is going to answer with credentials: that 401 is the protocol's
	// challenge, not a failure.
	Challenged bool

	// call is the context of the call the request belongs to, without
	// the request's own timeout.
	call context.Context
}

// CallEnded tells whether the call the request belongs to has ended (it
// failed elsewhere, or the test is over): a request that fails then was
// stopped by its own call, not by the registry or the network.
func (ri *RequestInfo) CallEnded() bool {
	return ri.call != nil && ri.call.Err() != nil
}

// ExpectedStatus tells whether status belongs to a normal flow of this request.
func (ri *RequestInfo) ExpectedStatus(status int) bool {
	if status >= 200 && status < 400 {
		return true
	}
	if status == http.StatusUnauthorized && ri.Challenged {
		return true
	}
	for _, s := range ri.Expected {
		if s == status {
			return true
		}
	}
	return false
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying info.
func WithRequestInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the RequestInfo in ctx, or nil when there is none.
func RequestInfoFrom(ctx context.Context) *RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return info
}
