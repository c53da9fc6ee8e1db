package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// ListOptions page a tag or repository list.
type ListOptions struct {
	N    int    // page size asked for; 0 lets the registry choose
	Last string // list after this entry
	All  bool   // follow Link headers to the end
}

// ListResult is one page, or with All every page, of a list.
type ListResult struct {
	Status int
	Items  []string
	// Next is the URL of the next page from the Link header, "" at the end.
	Next string
	// Pages counts the requests made.
	Pages int
}

// maxListPages bounds All: a registry whose Link points back must not
// turn a list into an endless loop.
const maxListPages = 10_000

// maxListBody bounds one page of a list.
const maxListBody = 16 << 20

// Tags lists repo's tags.
func (c *Client) Tags(ctx context.Context, repo string, opts ListOptions) (*ListResult, error) {
	if err := ValidateRepository(repo); err != nil {
		return &ListResult{}, err
	}
	return c.list(ctx, OpTags, c.tagsRoute(repo, opts.N, opts.Last), []string{auth.PullScope(repo)}, "tags", opts)
}

// Catalog lists the registry's repositories.
func (c *Client) Catalog(ctx context.Context, opts ListOptions) (*ListResult, error) {
	return c.list(ctx, OpCatalog, c.catalogRoute(opts.N, opts.Last), []string{auth.CatalogScope}, "repositories", opts)
}

func (c *Client) list(ctx context.Context, op string, rt route, scopes []string, field string, opts ListOptions) (*ListResult, error) {
	res := &ListResult{Items: []string{}}
	if opts.N < 0 {
		return res, fmt.Errorf("%s: n %d is negative", op, opts.N)
	}
	for {
		items, next, status, err := c.listPage(ctx, op, rt, scopes, field)
		res.Status = status
		res.Pages++
		if err != nil {
			return res, err
		}
		res.Items = append(res.Items, items...)
		res.Next = ""
		if next != nil {
			res.Next = next.String()
		}
		if !opts.All || next == nil {
			return res, nil
		}
		if res.Pages >= maxListPages {
			return res, &Error{Op: op, Status: status, Code: CodeInvalidResponse,
				Message: fmt.Sprintf("stopped after %d pages", maxListPages)}
		}
		rt = rt.nextPage(next)
	}
}

func (c *Client) listPage(ctx context.Context, op string, rt route, scopes []string, field string) ([]string, *url.URL, int, error) {
	resp, err := c.send(ctx, &request{op: op, method: http.MethodGet, route: rt, scopes: scopes})
	if err != nil {
		return nil, nil, 0, err
	}
	defer closeBody(resp)
	if err := expect(resp, op, http.StatusOK); err != nil {
		return nil, nil, resp.StatusCode, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxListBody))
	if err != nil {
		return nil, nil, resp.StatusCode, bodyError(ctx, op, rt.where(), err)
	}
	var body map[string]json.RawMessage
	var items []string
	if err := json.Unmarshal(raw, &body); err == nil {
		if v, ok := body[field]; ok && string(v) != "null" {
			err = json.Unmarshal(v, &items)
		}
		if err != nil {
			return nil, nil, resp.StatusCode, &Error{Op: op, Status: resp.StatusCode, Code: CodeInvalidResponse, Message: err.Error()}
		}
	} else {
		return nil, nil, resp.StatusCode, &Error{Op: op, Status: resp.StatusCode, Code: CodeInvalidResponse, Message: err.Error()}
	}
	next, err := nextLink(resp)
	if err != nil {
		return nil, nil, resp.StatusCode, &Error{Op: op, Status: resp.StatusCode, Code: CodeInvalidResponse, Message: err.Error()}
	}
	return items, next, resp.StatusCode, nil
}

// nextLink reads `Link: <url>; rel="next"`, resolved against the request.
func nextLink(resp *http.Response) (*url.URL, error) {
	for _, header := range resp.Header.Values("Link") {
		for _, link := range strings.Split(header, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == "next" {
					u, err := resp.Request.URL.Parse(strings.Trim(target, "<>"))
					if err != nil {
						return nil, fmt.Errorf("invalid Link %q: %w", header, err)
					}
					return u, nil
				}
			}
		}
	}
	return nil, nil
}
