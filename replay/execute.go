package replay

import (
	"context"
	"fmt"

	"github.com/xk6-registry/xk6-registry/registry"
)

// execute makes one step's registry call and returns its status: the
// last response's, or 0 when none came.
func (m *materials) execute(ctx context.Context, c *registry.Client, s *Step) (int, error) {
	switch s.Op {
	case StepPing:
		return status(c.Ping(ctx))
	case StepManifestGet, StepManifestHead, StepManifestDelete:
		ref, err := m.reference(ctx, s)
		if err != nil {
			return 0, err
		}
		switch s.Op {
		case StepManifestGet:
			res, err := c.GetManifest(ctx, ref, nil)
			return status(res.Status, err)
		case StepManifestHead:
			res, err := c.HeadManifest(ctx, ref)
			return status(res.Status, err)
		}
		return status(c.DeleteManifest(ctx, ref))
	case StepManifestPut:
		body, mediaType, d, err := m.manifest(ctx, s.Manifest)
		if err != nil {
			return 0, err
		}
		ref := s.Repo + "@" + d.String()
		if s.Tag != "" {
			ref = s.Repo + ":" + s.Tag
		}
		res, err := c.PutManifest(ctx, ref, body, registry.PutManifestOptions{MediaType: mediaType})
		return status(res.Status, err)
	case StepReferrers:
		d, err := m.manifestDigest(ctx, s.Manifest)
		if err != nil {
			return 0, err
		}
		res, err := c.Referrers(ctx, s.Repo, d, "")
		return status(res.Status, err)
	case StepTags:
		res, err := c.Tags(ctx, s.Repo, registry.ListOptions{N: s.N, Last: s.Last})
		return status(res.Status, err)
	case StepCatalog:
		res, err := c.Catalog(ctx, registry.ListOptions{N: s.N, Last: s.Last})
		return status(res.Status, err)
	}
	return m.executeBlob(ctx, c, s)
}

func (m *materials) executeBlob(ctx context.Context, c *registry.Client, s *Step) (int, error) {
	src, desc, err := m.blob(ctx, s.Blob)
	if err != nil {
		return 0, err
	}
	d := desc.Digest.String()
	switch s.Op {
	case StepBlobGet:
		// The log has no Range header: a 206 asks for the bytes it served,
		// from the start.
		opts := registry.GetBlobOptions{}
		if s.Range > 0 {
			opts.Range = &[2]int64{0, s.Range - 1}
		}
		res, err := c.GetBlob(ctx, s.Repo, d, opts)
		return status(res.Status, err)
	case StepBlobHead:
		res, err := c.HeadBlob(ctx, s.Repo, d)
		return status(res.Status, err)
	case StepBlobDelete:
		return status(c.DeleteBlob(ctx, s.Repo, d))
	case StepBlobMount:
		res, err := c.MountBlob(ctx, s.Repo, d, s.From)
		return status(res.Status, err)
	case StepUpload:
		opts := registry.UploadOptions{Mode: registry.UploadMode(s.Mode), MountFrom: s.From}
		if s.Mode == string(registry.UploadChunked) {
			opts.ChunkSize = max(1, (desc.Size+int64(s.Chunks)-1)/int64(s.Chunks))
		}
		res, err := c.UploadBlob(ctx, s.Repo, src, opts)
		return status(res.Status, err)
	}
	return 0, fmt.Errorf("step op %q has no call", s.Op)
}

// reference is the manifest a step names: by tag or by its digest.
func (m *materials) reference(ctx context.Context, s *Step) (string, error) {
	if s.Tag != "" {
		return s.Repo + ":" + s.Tag, nil
	}
	d, err := m.manifestDigest(ctx, s.Manifest)
	if err != nil {
		return "", err
	}
	return s.Repo + "@" + d, nil
}

// status is a call's status: the one it returned, else the one its error
// carries.
func status(st int, err error) (int, error) {
	if st == 0 && err != nil {
		st = registry.StatusOf(err)
	}
	return st, err
}
