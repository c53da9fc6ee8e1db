package js

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"

	"go.k6.io/k6/v2/lib"

	"github.com/xk6-registry/xk6-registry/registry"
)

// httpDebug prints the extension's requests and responses as k6/http
// prints its own under --http-debug ("headers") and --http-debug=full: one
// "Request:" and one "Response:" log line each, at info level, with the
// fields k6 adds. What k6 would print that must not be printed is left out:
// credentials and the client's own headers are masked, and no blob body is
// ever printed (full mode prints manifests, lists and error bodies, up to
// debugBodyLimit).
type httpDebug struct {
	mode    string // "", "headers" or "full"
	logger  func(kind, dump string)
	op      string
	masked  []string // header names whose values are never printed
	hideAll bool     // token requests and answers: every body hidden
}

// debugBodyLimit bounds a body printed in full mode.
const debugBodyLimit = 64 << 10

// alwaysMasked are headers that carry credentials, whoever set them.
var alwaysMasked = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// debugger is the request's debug printer; a zero one prints nothing.
func (c *Client) debugger(state *lib.State, info *registry.RequestInfo) *httpDebug {
	mode := state.Options.HTTPDebug.String
	if mode == "" {
		return &httpDebug{}
	}
	id := rand.Text()
	log := state.Logger.WithFields(map[string]any{
		"source": "http-debug", "vu": state.VUID, "iter": state.Iteration,
		"request_id": id, tagOp: info.Op,
	})
	return &httpDebug{
		mode:    mode,
		logger:  func(kind, dump string) { log.Infof("%s:\n%s\n", kind, dump) },
		op:      info.Op,
		masked:  append(append([]string(nil), alwaysMasked...), c.headerNames...),
		hideAll: info.Op == registry.OpToken,
	}
}

// printsBody tells whether full mode prints this op's bodies: never a
// blob's, whatever the op's status.
func (d *httpDebug) printsBody(status int) bool {
	if d.mode != "full" || d.hideAll {
		return false
	}
	switch d.op {
	case registry.OpManifestGet, registry.OpManifestPut, registry.OpTags, registry.OpCatalog,
		registry.OpReferrers, registry.OpPing:
		return true
	case registry.OpBlobGet:
		return false
	}
	return status >= 400
}

func (d *httpDebug) request(req *http.Request) {
	if d.mode == "" {
		return
	}
	shown := req.Clone(req.Context())
	shown.Header = d.mask(req.Header)
	// A body of its own, which DumpRequestOut replaces and leaves out, so
	// the request's is not read.
	shown.Body, shown.GetBody = io.NopCloser(strings.NewReader("")), nil
	dump, err := httputil.DumpRequestOut(shown, false)
	if err != nil {
		dump = []byte(err.Error())
	}
	body := ""
	if req.Body != nil && req.ContentLength != 0 {
		body = fmt.Sprintf("[body of %d bytes not shown]", req.ContentLength)
		if d.printsBody(0) && req.ContentLength > 0 && req.ContentLength <= debugBodyLimit {
			raw, err := io.ReadAll(req.Body)
			_ = req.Body.Close()
			req.Body = io.NopCloser(bytes.NewReader(raw))
			if err == nil {
				body = string(raw)
			}
		}
	}
	d.logger("Request", strings.ReplaceAll(string(dump), "\r\n", "\n")+body)
}

// response prints resp and returns it, its body still to read.
func (d *httpDebug) response(resp *http.Response) *http.Response {
	if d.mode == "" {
		return resp
	}
	shown := *resp
	shown.Header = d.mask(resp.Header)
	shown.Body = http.NoBody
	dump, err := httputil.DumpResponse(&shown, false)
	if err != nil {
		dump = []byte(err.Error())
	}
	body := ""
	if d.printsBody(resp.StatusCode) && resp.ContentLength != 0 {
		raw, err := io.ReadAll(io.LimitReader(resp.Body, debugBodyLimit))
		body = string(raw)
		if err == nil && len(raw) == debugBodyLimit {
			body += "\n[body cut at " + fmt.Sprint(debugBodyLimit) + " bytes]"
		}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(raw), resp.Body), resp.Body}
	} else if resp.ContentLength > 0 {
		body = fmt.Sprintf("[body of %d bytes not shown]", resp.ContentLength)
	}
	d.logger("Response", strings.ReplaceAll(string(dump), "\r\n", "\n")+body)
	return resp
}

// mask copies h with the values of credentials and of the client's own
// headers replaced.
func (d *httpDebug) mask(h http.Header) http.Header {
	out := h.Clone()
	for _, name := range d.masked {
		if vs, ok := out[http.CanonicalHeaderKey(name)]; ok {
			for i, v := range vs {
				scheme, _, found := strings.Cut(v, " ")
				if found && http.CanonicalHeaderKey(name) == "Authorization" {
					vs[i] = scheme + " ***"
				} else {
					vs[i] = "***"
				}
			}
		}
	}
	return out
}
