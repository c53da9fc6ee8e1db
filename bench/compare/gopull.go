package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// goPullFlag runs this program as the plain Go yardstick: pulls with
// net/http alone, as a Go client written for the job does them, reading
// each blob in 128 KiB through sha256 (VERIFY=1) or not.
const goPullFlag = "-go-pull"

// goPullRead is the yardstick's read size, iperf3's default.
const goPullRead = 128 << 10

// goPull is one run of the yardstick, from its arguments and environment:
//
//	-go-pull URL REPO TAG PULLS CONCURRENCY
//	VERIFY=1       hash every blob and compare it with its digest
//	HTTP_VERSION   "1.1" or "2" over TLS; empty: HTTP/2 when offered
//	INSECURE=1     accept the server's self-signed certificate
//
// It writes {"requests": N, "http2Requests": M} to $BENCH_RESULT.
type goPull struct {
	base, repo, tag    string
	pulls, concurrency int
	verify             bool
	client             *http.Client
	requests, http2    atomic.Int64
}

func goPullRow(args []string, getenv func(string) string) error {
	if len(args) != 5 {
		return fmt.Errorf("%s URL REPO TAG PULLS CONCURRENCY: got %d arguments", goPullFlag, len(args))
	}
	p := &goPull{base: args[0], repo: args[1], tag: args[2], verify: getenv("VERIFY") == "1"}
	var err error
	if p.pulls, err = strconv.Atoi(args[3]); err != nil || p.pulls < 1 {
		return fmt.Errorf("%s: pulls %q", goPullFlag, args[3])
	}
	if p.concurrency, err = strconv.Atoi(args[4]); err != nil || p.concurrency < 1 {
		return fmt.Errorf("%s: concurrency %q", goPullFlag, args[4])
	}
	if p.client, err = yardstickClient(getenv("HTTP_VERSION"), getenv("INSECURE") == "1"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := p.run(ctx); err != nil {
		return err
	}
	raw, err := json.Marshal(map[string]int64{"requests": p.requests.Load(), "http2Requests": p.http2.Load()})
	if err != nil {
		return err
	}
	return os.WriteFile(getenv("BENCH_RESULT"), raw, 0o600)
}

// yardstickClient speaks HTTP/1.1 or HTTP/2 as asked, as net/http's
// default transport otherwise does.
func yardstickClient(version string, insecure bool) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: insecure} // #nosec G402 -- the benchmark's own self-signed servers, INSECURE=1 only
	switch version {
	case "", "2":
	case "1.1":
		// A non-nil empty map turns HTTP/2 off.
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	default:
		return nil, fmt.Errorf("HTTP_VERSION=%q: want 1.1 or 2", version)
	}
	return &http.Client{Transport: tr}, nil
}

func (p *goPull) run(ctx context.Context) error {
	jobs := make(chan struct{})
	errs := make(chan error, p.concurrency)
	var wg sync.WaitGroup
	for range p.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, goPullRead)
			for range jobs {
				if err := p.pullOnce(ctx, buf); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
send:
	for range p.pulls {
		select {
		case jobs <- struct{}{}:
		case err = <-errs:
			break send
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}

// pullOnce gets the manifest, then the config and each layer in turn.
func (p *goPull) pullOnce(ctx context.Context, buf []byte) error {
	var m struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	err := p.get(ctx, "/manifests/"+p.tag, func(body io.Reader) error { return json.NewDecoder(body).Decode(&m) })
	if err != nil {
		return err
	}
	for _, d := range append([]descriptor{m.Config}, m.Layers...) {
		err := p.get(ctx, "/blobs/"+d.Digest, func(body io.Reader) error { return p.readBlob(body, d, buf) })
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *goPull) get(ctx context.Context, path string, read func(io.Reader) error) error {
	url := p.base + "/v2/" + p.repo + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", mediaTypeManifest)
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	p.requests.Add(1)
	if resp.ProtoMajor == 2 {
		p.http2.Add(1)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := read(resp.Body); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// readBlob reads a body in buf's size, hashing it when verifying, and
// checks its size (and digest).
func (p *goPull) readBlob(body io.Reader, d descriptor, buf []byte) error {
	var h hash.Hash
	if p.verify {
		h = sha256.New()
	}
	var n int64
	for {
		got, err := body.Read(buf)
		n += int64(got)
		if h != nil {
			h.Write(buf[:got])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if n != d.Size {
		return fmt.Errorf("got %d bytes, want %d", n, d.Size)
	}
	if h != nil && "sha256:"+hex.EncodeToString(h.Sum(nil)) != d.Digest {
		return errors.New("content does not match its digest")
	}
	return nil
}
