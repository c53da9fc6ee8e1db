package registrytest_test

import (
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func TestEveryKindServesARoundTrip(t *testing.T) {
	t.Parallel()
	for _, kind := range registrytest.Kinds {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			reg := registrytest.StartKind(t, kind)
			resp, err := http.Get(reg.URL + "/v2/")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)

			img, err := random.Image(1000, 2)
			require.NoError(t, err)
			ref, err := name.ParseReference(reg.Host+"/kinds/app:1", name.Insecure)
			require.NoError(t, err)
			require.NoError(t, remote.Write(ref, img))
			got, err := remote.Image(ref)
			require.NoError(t, err)
			require.NoError(t, registrytest.ValidateImage(got))
		})
	}
}
