package registry_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// BenchmarkBlobBodies pulls (verified and not) and pushes a 32 MiB image
// against nginx, serving it from files and sinking uploads, so the client
// is what costs: over HTTP, TLS with HTTP/1.1 and TLS with HTTP/2. Besides
// MB/s it reports the client's own CPU per GB (getrusage of this process;
// nginx is another) and the mean size of the reads blob bodies saw: 8 KiB
// for a pull without verify before io.Discard's ReadFrom was bypassed.
func BenchmarkBlobBodies(b *testing.B) {
	const layerSize = 32 << 20
	ctx := context.Background()
	img := heldImage(b, testImage(b, 1919, layerSize))
	manifest, err := img.Manifest(ctx)
	require.NoError(b, err)
	root := b.TempDir()
	writeStatic(b, filepath.Join(root, "v2", "bench", "app", "manifests", "1"), manifest)
	for _, blob := range append([]registry.BlobSource{img.Config}, img.Layers...) {
		writeStatic(b, filepath.Join(root, "v2", "bench", "app", "blobs", describe(b, blob).Digest.String()), readBlob(b, blob))
	}
	total := imageBytes(b, img)

	for _, proto := range []struct {
		name       string
		tls, http2 bool
	}{{"http", false, false}, {"https-1.1", true, false}, {"https-2", true, true}} {
		n := registrytest.StartNginx(b, registrytest.NginxOptions{TLS: proto.tls, HTTP2: proto.http2, Root: root, Sink: true})
		transport := &http.Transport{ForceAttemptHTTP2: proto.http2, MaxIdleConnsPerHost: 8}
		if proto.tls {
			pool := x509.NewCertPool()
			require.True(b, pool.AppendCertsFromPEM(n.CertPEM))
			transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		b.Cleanup(transport.CloseIdleConnections)
		pulls := &readSizes{next: transport}
		c, err := registry.New(registry.Config{URL: n.URL, Transport: pulls})
		require.NoError(b, err)

		for _, verify := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/pull/verify=%t", proto.name, verify), func(b *testing.B) {
				pulls.reset()
				measureCPU(b, total, func() {
					_, err := c.Pull(ctx, "bench/app:1", registry.PullOptions{Verify: verify})
					require.NoError(b, err)
				})
				b.ReportMetric(pulls.meanRead(), "B/read")
			})
		}
		for _, mode := range []registry.UploadMode{registry.UploadStream, registry.UploadMonolithic} {
			b.Run(fmt.Sprintf("%s/push/%s", proto.name, mode), func(b *testing.B) {
				counted, sizes := countedImage(img)
				measureCPU(b, total, func() {
					_, err := c.Push(ctx, "bench/app:1", counted, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode}})
					require.NoError(b, err)
				})
				b.ReportMetric(sizes.mean(), "B/read")
			})
		}
	}
}

// measureCPU runs op b.N times and reports this process's CPU per GB moved.
func measureCPU(b *testing.B, bytesPerOp int64, op func()) {
	b.Helper()
	b.SetBytes(bytesPerOp)
	start := processCPU(b)
	b.ResetTimer()
	for range b.N {
		op()
	}
	b.StopTimer()
	cpu := processCPU(b) - start
	b.ReportMetric(cpu.Seconds()/(float64(bytesPerOp)*float64(b.N)/1e9), "cpu-s/GB")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func writeStatic(b *testing.B, path string, body []byte) {
	require.NoError(b, os.MkdirAll(filepath.Dir(path), 0o750))
	require.NoError(b, os.WriteFile(path, body, 0o600))
}

func (rs *readSizes) reset() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.gets = nil
}

// meanRead is the mean buffer size blob bodies were read with.
func (rs *readSizes) meanRead() float64 {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var sizes readCounts
	for _, g := range rs.gets {
		for _, r := range g.reads {
			sizes.add(r.asked)
		}
	}
	return sizes.mean()
}

// readCounts sums the buffer sizes of reads.
type readCounts struct{ reads, bytes atomic.Int64 }

func (c *readCounts) add(n int64) { c.reads.Add(1); c.bytes.Add(n) }

func (c *readCounts) mean() float64 {
	if c.reads.Load() == 0 {
		return 0
	}
	return float64(c.bytes.Load()) / float64(c.reads.Load())
}

// countedImage is img with its blobs' readers counting the reads made of
// them: the request bodies net/http sends.
func countedImage(img *registry.Image) (*registry.Image, *readCounts) {
	sizes := &readCounts{}
	out := *img
	out.Config = countedBlob{img.Config, sizes}
	out.Layers = nil
	for _, l := range img.Layers {
		out.Layers = append(out.Layers, countedBlob{l, sizes})
	}
	return &out, sizes
}

type countedBlob struct {
	registry.BlobSource
	sizes *readCounts
}

func (c countedBlob) Open(ctx context.Context) (io.ReadCloser, error) {
	rc, err := c.BlobSource.Open(ctx)
	if err != nil {
		return nil, err
	}
	return countedReader{rc, c.sizes}, nil
}

type countedReader struct {
	io.ReadCloser
	sizes *readCounts
}

func (r countedReader) Read(p []byte) (int, error) {
	r.sizes.add(int64(len(p)))
	return r.ReadCloser.Read(p)
}
