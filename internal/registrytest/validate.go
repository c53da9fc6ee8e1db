package registrytest

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// ValidateImage checks an image as go-containerregistry reads it: its
// manifest, config and descriptors with validate.Image, then every layer's
// bytes against its digest and size, its uncompressed stream against the
// config's diff_id, and that stream as a tar archive.
//
// validate.Image alone cannot do the layer part: it gunzips every layer,
// and uncompressed OCI layers (application/vnd.oci.image.layer.v1.tar) are
// valid images too.
func ValidateImage(img v1.Image) error {
	if err := validate.Image(img, validate.Fast); err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return fmt.Errorf("config has %d diff_ids for %d layers", len(cfg.RootFS.DiffIDs), len(layers))
	}
	for i, l := range layers {
		if err := validateLayer(l, cfg.RootFS.DiffIDs[i]); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return nil
}

func validateLayer(l v1.Layer, diffID v1.Hash) error {
	want, err := l.Digest()
	if err != nil {
		return err
	}
	size, err := l.Size()
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	got, n, err := sha256Of(rc)
	if err != nil {
		return err
	}
	if got != want.Hex || n != size {
		return fmt.Errorf("blob is sha256:%s of %d bytes, manifest says %s of %d", got, n, want, size)
	}
	rc, err = l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	tr := tar.NewReader(io.TeeReader(rc, h))
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not a tar stream: %w", err)
		}
	}
	// Hash what follows the end-of-archive marker too: diff_ids cover it all.
	if _, err := io.Copy(h, rc); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != diffID.Hex {
		return fmt.Errorf("uncompressed content is sha256:%s, config's diff_id is %s", got, diffID)
	}
	return nil
}

func sha256Of(rc io.ReadCloser) (string, int64, error) {
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
