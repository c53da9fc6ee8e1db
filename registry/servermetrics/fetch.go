package servermetrics

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"github.com/xk6-registry/xk6-registry/registry"
)

// textFormat is the exposition asked for: Prometheus text, which every
// registry's client library serves when asked.
const textFormat = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

// Scrape GETs the exposition at rawURL through client and updates s
// from it, holding s for the whole scrape so expositions are read in the
// order they were taken. A failure is a *registry.Error of op
// registry.OpServerMetrics, with the response's status when one came.
func (s *Scraper) Scrape(ctx context.Context, client *http.Client, rawURL string) (*Result, int, error) {
	s.fetching.Lock()
	defer s.fetching.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("server metrics url %q: %w", rawURL, err)
	}
	req.Header.Set("Accept", textFormat)
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, 0, &registry.Error{Op: registry.OpServerMetrics, Code: registry.TransportCode(ctx, err),
			Message: fmt.Sprintf("GET %s: %v", Where(rawURL), err), Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		code := registry.CodeUnexpectedStatus
		if resp.StatusCode == http.StatusNotFound {
			code = registry.CodeNotFound
		}
		return nil, resp.StatusCode, &registry.Error{Op: registry.OpServerMetrics, Status: resp.StatusCode, Code: code,
			Message: fmt.Sprintf("GET %s: status %d, want 200", Where(rawURL), resp.StatusCode)}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
			return nil, resp.StatusCode, &registry.Error{Op: registry.OpServerMetrics, Status: resp.StatusCode, Code: registry.CodeUnsupported,
				Message: fmt.Sprintf("GET %s: Content-Type %q, want the Prometheus text format (text/plain)", Where(rawURL), ct)}
		}
	}
	res, err := s.Update(resp.Body)
	if err != nil {
		return nil, resp.StatusCode, &registry.Error{Op: registry.OpServerMetrics, Status: resp.StatusCode, Code: registry.CodeInvalidResponse,
			Message: fmt.Sprintf("GET %s: %v", Where(rawURL), err), Err: err}
	}
	return res, resp.StatusCode, nil
}

// Where is a metrics URL without its query, user or fragment: what a
// message or a tag may name.
func Where(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(an unparsable url)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
