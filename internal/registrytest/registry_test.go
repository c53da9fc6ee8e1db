package registrytest_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func getV2(t *testing.T, reg *registrytest.Registry, user, pass string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, reg.URL+"/v2/", nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp
}

func TestStartAnswersPerAuthMode(t *testing.T) {
	t.Parallel()
	for _, mode := range []registrytest.AuthMode{registrytest.AuthNone, registrytest.AuthHtpasswd, registrytest.AuthToken} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{Auth: mode})
			assert.Equal(t, "http://"+reg.Host, reg.URL)
			assert.Regexp(t, `^127\.0\.0\.1:\d+$`, reg.Host)
			assert.DirExists(t, filepath.Dir(reg.Dir))

			resp := getV2(t, reg, "", "")
			assert.Equal(t, "registry/2.0", resp.Header.Get("Docker-Distribution-API-Version"))
			switch mode {
			case registrytest.AuthNone:
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Empty(t, reg.Username)
				assert.Nil(t, reg.Tokens)
			case registrytest.AuthHtpasswd:
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
				assert.Equal(t, `Basic realm="registrytest"`, resp.Header.Get("WWW-Authenticate"))
				assert.Equal(t, http.StatusOK, getV2(t, reg, reg.Username, reg.Password).StatusCode)
				assert.Equal(t, http.StatusUnauthorized, getV2(t, reg, reg.Username, "wrong").StatusCode)
				assert.Nil(t, reg.Tokens)
			case registrytest.AuthToken:
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
				require.NotNil(t, reg.Tokens)
				assert.Regexp(t, `^http://localhost:\d+/token$`, reg.Tokens.Realm())
				assert.Equal(t,
					`Bearer realm="`+reg.Tokens.Realm()+`",service="`+reg.Tokens.Service()+`"`,
					resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func push(t *testing.T, reg *registrytest.Registry, ref string, auth authn.Authenticator) (v1.Image, error) {
	t.Helper()
	img, err := random.Image(1024, 2)
	require.NoError(t, err)
	r, err := name.NewTag(reg.Host+"/"+ref, name.Insecure)
	require.NoError(t, err)
	return img, remote.Write(r, img, remote.WithAuth(auth))
}

func pull(t *testing.T, reg *registrytest.Registry, ref string, auth authn.Authenticator) (v1.Hash, error) {
	t.Helper()
	r, err := name.NewTag(reg.Host+"/"+ref, name.Insecure)
	require.NoError(t, err)
	desc, err := remote.Get(r, remote.WithAuth(auth))
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := desc.Image()
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	for _, l := range layers {
		_, err := l.Compressed() // reads the blob through the registry
		require.NoError(t, err)
	}
	return desc.Digest, nil
}

// requireStatus asserts err is a registry error with the HTTP status.
func requireStatus(t *testing.T, err error, status int) {
	t.Helper()
	require.Error(t, err)
	var terr *transport.Error
	require.True(t, errors.As(err, &terr), "%T: %v", err, err)
	assert.Equal(t, status, terr.StatusCode, "%v", err)
}

func TestPushPullWithoutAuth(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	img, err := push(t, reg, "team/app:1", authn.Anonymous)
	require.NoError(t, err)
	want, err := img.Digest()
	require.NoError(t, err)
	got, err := pull(t, reg, "team/app:1", authn.Anonymous)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.DirExists(t, filepath.Join(reg.Dir, "docker", "registry", "v2", "repositories", "team", "app"))
}

func TestPushPullWithCredentials(t *testing.T) {
	t.Parallel()
	for _, mode := range []registrytest.AuthMode{registrytest.AuthHtpasswd, registrytest.AuthToken} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{Auth: mode})
			good := &authn.Basic{Username: reg.Username, Password: reg.Password}

			img, err := push(t, reg, "team/app:1", good)
			require.NoError(t, err)
			want, err := img.Digest()
			require.NoError(t, err)
			got, err := pull(t, reg, "team/app:1", good)
			require.NoError(t, err)
			assert.Equal(t, want, got)

			_, err = push(t, reg, "team/app:anonymous", authn.Anonymous)
			requireStatus(t, err, http.StatusUnauthorized)

			_, err = push(t, reg, "team/app:wrong", &authn.Basic{Username: reg.Username, Password: "wrong"})
			requireStatus(t, err, http.StatusUnauthorized)

			// Deleting needs storage.delete.enabled and, with tokens, the delete action.
			r, err := name.NewDigest(reg.Host+"/team/app@"+want.String(), name.Insecure)
			require.NoError(t, err)
			require.NoError(t, remote.Delete(r, remote.WithAuth(good)))
			_, err = pull(t, reg, "team/app:1", good)
			requireStatus(t, err, http.StatusNotFound)
		})
	}
}

func TestAnonymousTokensGrantPullOnly(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	good := &authn.Basic{Username: reg.Username, Password: reg.Password}
	img, err := push(t, reg, "team/public:1", good)
	require.NoError(t, err)
	want, err := img.Digest()
	require.NoError(t, err)

	got, err := pull(t, reg, "team/public:1", authn.Anonymous)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	_, err = push(t, reg, "team/public:2", authn.Anonymous)
	requireStatus(t, err, http.StatusUnauthorized)
}

func TestRegistryStopsWithItsTest(t *testing.T) {
	t.Parallel()
	var url string
	t.Run("start", func(t *testing.T) {
		reg := registrytest.Start(t, registrytest.Options{})
		url = reg.URL
		assert.Equal(t, http.StatusOK, getV2(t, reg, "", "").StatusCode)
	})
	_, err := http.Get(url + "/v2/")
	require.Error(t, err, "the registry still answers after its test ended")
}

func TestBinaryHonoursRegistryBin(t *testing.T) {
	bin := registrytest.Binary(t)
	t.Setenv("REGISTRY_BIN", bin)
	assert.Equal(t, bin, registrytest.Binary(t))
	st, err := os.Stat(bin)
	require.NoError(t, err)
	assert.False(t, st.IsDir())
}
