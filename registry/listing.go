package registry

import (
	"context"
	"encoding/json"
	"fmt"
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

// Validate checks the options, naming what is wrong.
func (o ListOptions) Validate() error {
	if o.N < 0 {
		return fmt.Errorf(`option "n" must not be negative; got %d`, o.N)
	}
	return nil
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

// Bounds of a list read with All, so a registry whose Link points back, or
// that sends pages without end, cannot turn a list into an endless loop or
// fill memory: a million entries is ten times the largest tag lists
// registries report.
const (
	maxListPages = 10_000
	maxListItems = 1_000_000
	maxListBytes = 64 << 20 // response bodies, all pages together
)

// maxListBody bounds one page of a list.
const maxListBody = 16 << 20

// Tags lists repo's tags.
func (c *Client) Tags(ctx context.Context, repo string, opts ListOptions) (*ListResult, error) {
	if err := CheckTags(repo, opts); err != nil {
		return &ListResult{}, err
	}
	return c.list(ctx, OpTags, c.tagsRoute(repo, opts.N, opts.Last), []string{auth.PullScope(repo)}, "tags", opts)
}

// Catalog lists the registry's repositories.
func (c *Client) Catalog(ctx context.Context, opts ListOptions) (*ListResult, error) {
	if err := CheckCatalog(opts); err != nil {
		return &ListResult{}, err
	}
	return c.list(ctx, OpCatalog, c.catalogRoute(opts.N, opts.Last), []string{auth.CatalogScope}, "repositories", opts)
}

func (c *Client) list(ctx context.Context, op string, rt route, scopes []string, field string, opts ListOptions) (*ListResult, error) {
	res := &ListResult{Items: []string{}}
	visited := map[string]bool{rt.url.String(): true}
	var read int64
	for {
		page, err := c.listPage(ctx, op, rt, scopes, field)
		res.Status = page.status
		res.Pages++
		if err != nil {
			return res, err
		}
		res.Items = append(res.Items, page.items...)
		read += page.bytes
		res.Next = ""
		if page.next != nil {
			res.Next = page.next.String()
		}
		if !opts.All || page.next == nil {
			return res, nil
		}
		stop := ""
		switch {
		case visited[res.Next]:
			stop = fmt.Sprintf("the Link of page %d leads back to a page already read", res.Pages)
		case res.Pages >= maxListPages:
			stop = fmt.Sprintf("stopped after %d pages, the most a list with all is read to", maxListPages)
		case len(res.Items) >= maxListItems:
			stop = fmt.Sprintf("stopped after %d entries, the most a list with all holds", len(res.Items))
		case read >= maxListBytes:
			stop = fmt.Sprintf("stopped after %d bytes of pages, the most a list with all reads", read)
		}
		if stop != "" {
			return res, &Error{Op: op, Status: page.status, Code: CodeInvalidResponse, Message: stop}
		}
		visited[res.Next] = true
		rt = rt.nextPage(page.next)
	}
}

// listPage is one page of a list as read.
type listPage struct {
	status int
	items  []string
	next   *url.URL
	bytes  int64
}

func (c *Client) listPage(ctx context.Context, op string, rt route, scopes []string, field string) (listPage, error) {
	resp, err := c.send(ctx, &request{op: op, method: http.MethodGet, route: rt, scopes: scopes})
	if err != nil {
		return listPage{status: StatusOf(err)}, err
	}
	defer closeBody(resp)
	page := listPage{status: resp.StatusCode}
	if err := expect(resp, op, http.StatusOK); err != nil {
		return page, err
	}
	raw, tooBig, err := readAtMost(resp.Body, resp.ContentLength, maxListBody)
	if err != nil {
		return page, bodyError(ctx, op, rt.where(), err)
	}
	invalid := func(msg string) (listPage, error) {
		return page, &Error{Op: op, Status: resp.StatusCode, Code: CodeInvalidResponse, Message: msg}
	}
	if tooBig {
		return invalid(fmt.Sprintf("a page of the list is larger than %d bytes", maxListBody))
	}
	page.bytes = int64(len(raw))
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return invalid(err.Error())
	}
	if v, ok := body[field]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &page.items); err != nil {
			return invalid(err.Error())
		}
	}
	if page.next, err = nextLink(resp); err != nil {
		return invalid(err.Error())
	}
	return page, nil
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
