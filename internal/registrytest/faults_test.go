package registrytest_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func TestFaultProxyInjectsWhatItIsTold(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	p := registrytest.StartFaultProxy(t, reg.URL)
	p.Add(registrytest.Rule{Path: "/v2/", Every: 2, Limit: 1, Fault: registrytest.Fault{Status: 429, RetryAfter: "1"}})

	statuses := []int{}
	for range 3 {
		resp, err := http.Get(p.URL + "/v2/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 429 {
			assert.Equal(t, "1", resp.Header.Get("Retry-After"))
		}
	}
	assert.Equal(t, []int{200, 429, 200}, statuses, "every second, once")
	assert.Equal(t, 1, p.Injected())
	assert.Len(t, p.Requests(), 3)
}

func TestFaultProxyCutsABodyShort(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	// The catalog is a body the registry serves to anyone.
	p := registrytest.StartFaultProxy(t, reg.URL)
	p.Add(registrytest.Rule{Path: "/_catalog", Fault: registrytest.Fault{CutResponse: 0.5, Reset: true}})
	resp, err := http.Get(p.URL + "/v2/_catalog")
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Error(t, err, "the body ended before its Content-Length")
}
