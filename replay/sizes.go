package replay

import (
	"net/http"
	"sort"
	"strings"
)

// syntheticConfigSize is the size of the config blob a made-up manifest
// gets when no blob of the trace can stand for it: "{}".
const syntheticConfigSize = 2

// defaultEstimate is a blob's estimated size when the log gave none at all.
const defaultEstimate = 1 << 20

// blobSizes finds each blob's size: from the storage; else from a stored
// manifest's descriptor; else from a whole GET of it in the log. A blob
// nothing sizes (an upload never fetched again) gets the median of the
// sizes known, at least the bytes a ranged GET of it served, and is marked
// estimated.
type blobSizes struct {
	size      map[string]int64
	estimated map[string]bool
}

func (p *planner) sizeBlobs(digests []string) *blobSizes {
	bs := &blobSizes{size: map[string]int64{}, estimated: map[string]bool{}}
	described := map[string]int64{}
	for _, m := range p.ids.manifests {
		if m.stored != nil {
			for _, d := range append(m.stored.Layers, *orEmpty(m.stored.Config)) {
				if d.Digest != "" {
					described[d.Digest] = d.Size
				}
			}
		}
	}
	whole, ranged := map[string]int64{}, map[string]int64{}
	for _, a := range p.actions {
		if a.step.Op != StepBlobGet {
			continue
		}
		switch a.step.Status {
		case http.StatusOK:
			whole[a.digest] = max(whole[a.digest], a.step.Bytes)
		case http.StatusPartialContent:
			ranged[a.digest] = max(ranged[a.digest], a.step.Bytes)
		}
	}
	var known []int64
	var unknown []string
	for _, d := range digests {
		if strings.HasPrefix(d, "config:") {
			bs.size[d] = syntheticConfigSize
			continue
		}
		if p.storage != nil {
			if n, ok := p.storage.BlobSize(d); ok {
				bs.size[d] = n
				known = append(known, n)
				continue
			}
		}
		if n, ok := described[d]; ok {
			bs.size[d] = n
			known = append(known, n)
			continue
		}
		if n, ok := whole[d]; ok {
			bs.size[d] = n
			known = append(known, n)
			continue
		}
		unknown = append(unknown, d)
	}
	estimate := int64(defaultEstimate)
	if len(known) > 0 {
		sort.Slice(known, func(i, j int) bool { return known[i] < known[j] })
		estimate = known[len(known)/2]
	}
	for _, d := range unknown {
		bs.size[d] = max(p.clientMedian(d, bs, estimate), ranged[d])
		bs.estimated[d] = true
	}
	return bs
}

// clientMedian is the median size of the blobs of known size that the
// client which uploaded d uploaded too: a client pushes images of its own
// kind. Without any, it is the median of every known size.
func (p *planner) clientMedian(d string, bs *blobSizes, otherwise int64) int64 {
	client := p.uploader[d]
	var sizes []int64
	for k, c := range p.uploader {
		if n, ok := bs.size[k]; ok && c == client && !bs.estimated[k] {
			sizes = append(sizes, n)
		}
	}
	if len(sizes) == 0 {
		return otherwise
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	return sizes[len(sizes)/2]
}

func orEmpty(d *StoredDescriptor) *StoredDescriptor {
	if d == nil {
		return &StoredDescriptor{}
	}
	return d
}
