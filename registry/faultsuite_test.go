package registry_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// The fault suite: a real distribution registry behind a fault-injecting
// proxy. Each case asserts the code and op a failure is reported with,
// the retries made, and that no upload session is left on the registry.

// retryLog counts the retries a client reports.
type retryLog struct {
	mu      sync.Mutex
	reasons map[string]int
}

func (l *retryLog) add(_ context.Context, r registry.Retry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reasons[r.Op+" "+r.Reason]++
}

func (l *retryLog) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.reasons {
		n += c
	}
	return n
}

// fastRetry is the default policy with short waits, so the suite is quick.
func fastRetry() *registry.RetryPolicy {
	p := registry.DefaultRetryPolicy()
	p.Backoff = 5 * time.Millisecond
	return &p
}

func faultClient(t *testing.T, cfg registry.Config, retry *registry.RetryPolicy) (*registry.Client, *retryLog) {
	t.Helper()
	log := &retryLog{reasons: map[string]int{}}
	cfg.Retry, cfg.OnRetry = retry, log.add
	c, err := registry.New(cfg)
	require.NoError(t, err)
	return c, log
}

// assertFailure checks that err is a registry failure of op with code,
// whose message holds inMessage.
func assertFailure(t *testing.T, err error, op, code, inMessage string) {
	t.Helper()
	var re *registry.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, op, re.Op, "%v", err)
	assert.Equal(t, code, re.Code, "%v", err)
	assert.Contains(t, re.Message, inMessage)
}

func assertNoSessionLeft(t *testing.T, reg *registrytest.Registry) {
	t.Helper()
	n, err := reg.AllOpenUploads()
	require.NoError(t, err)
	assert.Zero(t, n, "upload sessions left on the registry")
}

// pushPullBack pushes a fresh two-layer image in mode and pulls it back verified.
func pushPullBack(ctx context.Context, t *testing.T, c *registry.Client, ref string, mode registry.UploadMode) error {
	t.Helper()
	img := testImage(t, uint64(len(ref)), 300_000, 200_000)
	if _, err := c.Push(ctx, ref, img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10}}); err != nil {
		return err
	}
	res, err := c.Pull(ctx, ref, registry.PullOptions{Verify: true})
	if err == nil && res.Bytes != imageBytes(t, img) {
		t.Errorf("pulled %d bytes of %d", res.Bytes, imageBytes(t, img))
	}
	return err
}

func TestRetriesRideOutFaults(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		rule  registrytest.Rule
		modes []registry.UploadMode
	}{
		"every 4th request 503": {
			rule:  registrytest.Rule{Every: 4, Fault: registrytest.Fault{Status: 503}},
			modes: []registry.UploadMode{registry.UploadStream, registry.UploadChunked, registry.UploadMonolithic, registry.UploadPost},
		},
		"every 4th request 429 without Retry-After": {
			rule:  registrytest.Rule{Every: 4, Fault: registrytest.Fault{Status: 429}},
			modes: []registry.UploadMode{registry.UploadStream, registry.UploadChunked},
		},
		"every other blob body cut in half": {
			rule:  registrytest.Rule{Method: http.MethodGet, Path: "/blobs/sha256:", Every: 2, Fault: registrytest.Fault{CutResponse: 0.5, Reset: true}},
			modes: []registry.UploadMode{registry.UploadStream},
		},
		"every other manifest body truncated": {
			rule:  registrytest.Rule{Method: http.MethodGet, Path: "/manifests/", Limit: 1, Fault: registrytest.Fault{CutResponse: 0.5}},
			modes: []registry.UploadMode{registry.UploadStream},
		},
		"every other PATCH cut mid-body": {
			rule:  registrytest.Rule{Method: http.MethodPatch, Every: 2, Fault: registrytest.Fault{CutRequest: 0.5}},
			modes: []registry.UploadMode{registry.UploadStream, registry.UploadChunked},
		},
		"every other monolithic PUT cut mid-body": {
			rule:  registrytest.Rule{Method: http.MethodPut, Path: "/blobs/uploads/", Every: 2, Fault: registrytest.Fault{CutRequest: 0.5}},
			modes: []registry.UploadMode{registry.UploadMonolithic},
		},
	}
	for what, tc := range cases {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			proxy.Add(tc.rule)
			c, retries := faultClient(t, registry.Config{URL: proxy.URL, Username: reg.Username, Password: reg.Password}, fastRetry())
			for _, mode := range tc.modes {
				require.NoError(t, pushPullBack(context.Background(), t, c, "faults/app:"+string(mode), mode), mode)
			}
			require.Positive(t, proxy.Injected(), "no fault was injected; the case proves nothing")
			assert.Equal(t, proxy.Injected(), retries.total(), "one retry per fault: %v", retries.reasons)
			assertNoSessionLeft(t, reg)
		})
	}
}

func TestRetriesWaitAsRetryAfterSays(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	c, retries := faultClient(t, registry.Config{URL: proxy.URL}, fastRetry())
	_, err := c.Push(context.Background(), "wait/app:1", testImage(t, 1, 2000), registry.PushOptions{})
	require.NoError(t, err)
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/manifests/", Limit: 1, Fault: registrytest.Fault{Status: 429, RetryAfter: "1"}})
	start := time.Now()
	ctx, count := registry.CountRetries(context.Background())
	_, err = c.Pull(ctx, "wait/app:1", registry.PullOptions{Verify: true})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "the pull waited as Retry-After said")
	assert.Equal(t, 1, count(), "the call counts its retries")
	assert.Equal(t, map[string]int{"manifest_get 429": 1}, retries.reasons)
}

func TestWithoutRetryOneRefusalFailsTheCall(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	c, retries := faultClient(t, registry.Config{URL: proxy.URL}, nil)
	_, err := c.Push(context.Background(), "plain/app:1", testImage(t, 2, 2000), registry.PushOptions{})
	require.NoError(t, err)
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/blobs/", Fault: registrytest.Fault{Status: 503}})
	_, err = c.Pull(context.Background(), "plain/app:1", registry.PullOptions{Verify: true})
	assertFailure(t, err, registry.OpBlobGet, "UNAVAILABLE", "injected")
	assert.Equal(t, 503, registry.StatusOf(err))
	assert.Zero(t, retries.total())
}

// Every failure of an upload closes its session, in every mode.
func TestEveryFailedUploadClosesItsSession(t *testing.T) {
	t.Parallel()
	faults := map[string]registrytest.Rule{
		"PATCH 503":          {Method: http.MethodPatch, Fault: registrytest.Fault{Status: 503}},
		"PATCH cut mid-body": {Method: http.MethodPatch, Fault: registrytest.Fault{CutRequest: 0.5}},
		"final PUT 503":      {Method: http.MethodPut, Path: "/blobs/uploads/", Fault: registrytest.Fault{Status: 503}},
		"final PUT reset":    {Method: http.MethodPut, Path: "/blobs/uploads/", Fault: registrytest.Fault{CutRequest: 0.01}},
		"every PATCH 416":    {Method: http.MethodPatch, Fault: registrytest.Fault{Status: 416}},
	}
	modes := []registry.UploadMode{registry.UploadStream, registry.UploadChunked, registry.UploadMonolithic, registry.UploadPost}
	for what, rule := range faults {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd})
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			proxy.Add(rule)
			c, _ := faultClient(t, registry.Config{URL: proxy.URL, Username: reg.Username, Password: reg.Password}, nil)
			failed := 0
			for _, mode := range modes {
				_, err := c.Push(context.Background(), "sessions/app:"+string(mode), testImage(t, 3, 200_000),
					registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10}})
				if err != nil {
					failed++
				}
			}
			require.Positive(t, failed, "no push failed; the case proves nothing")
			assertNoSessionLeft(t, reg)
		})
	}
}

func TestFaultsAreReportedWithTheirCodes(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	seed, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	_, err = seed.Push(context.Background(), "codes/app:1", testImage(t, 4, 4096), registry.PushOptions{})
	require.NoError(t, err)
	big := make([]byte, 5<<20)
	cases := map[string]struct {
		rule      registrytest.Rule
		op, code  string
		inMessage string
	}{
		"stalled blob body past the timeout": {
			rule: registrytest.Rule{Method: http.MethodGet, Path: "/blobs/", Fault: registrytest.Fault{Stall: 10 * time.Second}},
			op:   registry.OpBlobGet, code: registry.CodeTimeout, inMessage: "/blobs/sha256:",
		},
		"corrupted blob": {
			rule: registrytest.Rule{Method: http.MethodGet, Path: "/blobs/", Fault: registrytest.Fault{Corrupt: true}},
			op:   registry.OpBlobGet, code: registry.CodeDigestMismatch, inMessage: "does not hash",
		},
		"invalid manifest": {
			rule: registrytest.Rule{Method: http.MethodGet, Path: "/manifests/", Fault: registrytest.Fault{Body: []byte("not a manifest"), ContentType: "application/vnd.oci.image.manifest.v1+json"}},
			op:   registry.OpManifestGet, code: "MANIFEST_INVALID", inMessage: "codes/app:1",
		},
		"oversized manifest": {
			rule: registrytest.Rule{Method: http.MethodGet, Path: "/manifests/", Fault: registrytest.Fault{Body: big, ContentType: "application/vnd.oci.image.manifest.v1+json"}},
			op:   registry.OpManifestGet, code: "MANIFEST_INVALID", inMessage: "larger than 4194304 bytes",
		},
	}
	for what, tc := range cases {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			proxy.Add(tc.rule)
			c, retries := faultClient(t, registry.Config{URL: proxy.URL, Timeout: 300 * time.Millisecond}, nil)
			_, err := c.Pull(context.Background(), "codes/app:1", registry.PullOptions{Verify: true})
			assertFailure(t, err, tc.op, tc.code, tc.inMessage)
			assert.Zero(t, retries.total())
		})
	}
}

// frontAuth makes a proxy an upload front that authenticates to the
// registry itself, as fronts with signed URLs do: the client's credentials
// are not needed there, and must not arrive there.
func frontAuth(t *testing.T, reg *registrytest.Registry) func(*http.Request) {
	if reg.Tokens == nil {
		return func(r *http.Request) { r.SetBasicAuth(reg.Username, reg.Password) }
	}
	return func(r *http.Request) {
		_, rest, _ := strings.Cut(r.URL.Path, "/v2/")
		repo, _, _ := strings.Cut(rest, "/blobs/")
		u := reg.Tokens.Realm() + "?" + url.Values{"service": {reg.Tokens.Service()}, "scope": {"repository:" + repo + ":pull,push"}}.Encode()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.SetBasicAuth(reg.Username, reg.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("front token: %v", err)
			return
		}
		defer resp.Body.Close()
		var body struct{ Token string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		r.Header.Set("Authorization", "Bearer "+body.Token)
	}
}

func TestNoCredentialsReachAnotherHost(t *testing.T) {
	t.Parallel()
	for _, auth := range []registrytest.AuthMode{registrytest.AuthHtpasswd, registrytest.AuthToken} {
		t.Run(auth.String(), func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{Auth: auth})
			front := registrytest.StartFaultProxy(t, reg.URL)
			front.Upstream = frontAuth(t, reg)
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			proxy.Add(registrytest.Rule{Method: http.MethodPost, Path: "/blobs/uploads/", Fault: registrytest.Fault{Location: front.URL}})
			proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/blobs/sha256:", Fault: registrytest.Fault{Redirect: front.URL}})
			c, _ := faultClient(t, registry.Config{URL: proxy.URL, Username: reg.Username, Password: reg.Password}, nil)
			for _, mode := range []registry.UploadMode{registry.UploadStream, registry.UploadChunked, registry.UploadMonolithic} {
				require.NoError(t, pushPullBack(context.Background(), t, c, "front/app:"+string(mode), mode), mode)
			}
			var uploads, blobs int
			for _, r := range front.Requests() {
				assert.False(t, r.Authorization, "%s %s reached the other host with credentials", r.Method, r.Path)
				switch {
				case strings.Contains(r.Path, "/blobs/uploads/"):
					uploads++
				case r.Method == http.MethodGet:
					blobs++
				}
			}
			assert.Positive(t, uploads, "no upload went through the other host")
			assert.Positive(t, blobs, "no blob GET was redirected to the other host")
			assertNoSessionLeft(t, reg)
		})
	}
}

func TestTokenServiceFaults(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	realm, err := url.Parse(reg.Tokens.Realm())
	require.NoError(t, err)
	cases := map[string]struct {
		fault     *registrytest.Fault // nil: the token service is down
		code      string
		inMessage string
	}{
		"down":           {code: registry.CodeConnectionRefused},
		"slow":           {fault: &registrytest.Fault{Stall: 10 * time.Second}, code: registry.CodeTimeout},
		"malformed JSON": {fault: &registrytest.Fault{Body: []byte(`{"token":`), ContentType: "application/json"}, code: registry.CodeInvalidResponse, inMessage: "not JSON"},
	}
	for what, tc := range cases {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			tokenURL := "http://localhost:1/token"
			if tc.fault != nil {
				tokens := registrytest.StartFaultProxy(t, realm.Scheme+"://"+realm.Host)
				tokens.Add(registrytest.Rule{Path: "/token", Fault: *tc.fault})
				tokenURL = "http://localhost:" + strings.Split(tokens.Host, ":")[1] + "/token"
			}
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			proxy.Add(registrytest.Rule{Fault: registrytest.Fault{Realm: tokenURL}})
			c, _ := faultClient(t, registry.Config{URL: proxy.URL, Username: reg.Username, Password: reg.Password, Timeout: 300 * time.Millisecond}, nil)
			_, err := c.Pull(context.Background(), "tokens/app:1", registry.PullOptions{})
			assertFailure(t, err, registry.OpToken, tc.code, tc.inMessage)
			assert.NotContains(t, err.Error(), reg.Password)
		})
	}
}

// A registry killed and restarted in the middle of a chunked push: the
// client asks the restarted registry where the session stands and resumes.
func TestPushSurvivesARegistryRestart(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodPatch, Every: 3, Limit: 1, Fault: registrytest.Fault{
		CutRequest: 0.5,
		Before: func() {
			if err := reg.Restart(); err != nil {
				t.Error(err)
			}
		},
	}})
	c, retries := faultClient(t, registry.Config{URL: proxy.URL}, fastRetry())
	require.NoError(t, pushPullBack(context.Background(), t, c, "restart/app:1", registry.UploadChunked))
	assert.Equal(t, 1, proxy.Injected())
	assert.Equal(t, 1, retries.total(), "%v", retries.reasons)
	assertNoSessionLeft(t, reg)
}
