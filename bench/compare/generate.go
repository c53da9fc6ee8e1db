package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/xk6-registry/xk6-registry/registry/content"
)

// generateFlag runs this program as the generating row: what a fresh push
// costs the client but the network. It makes the images registry.generate
// makes, asks each layer's digest and reads its bytes once, in the 32 KiB
// net/http's HTTP/1.1 transfer writer reads a request body in.
const generateFlag = "-generate-row"

// generateRead is net/http's copy buffer (copyBufPoolSize), which reads
// every request body that is not a file.
const generateRead = 32 << 10

func generateRow(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("%s IMAGES LAYERS LAYER_BYTES CONCURRENCY: got %d arguments", generateFlag, len(args))
	}
	var n [4]int64
	for i, a := range args {
		v, err := strconv.ParseInt(a, 10, 64)
		if err != nil || v < 1 {
			return fmt.Errorf("%s: argument %d is %q, not a count", generateFlag, i+1, a)
		}
		n[i] = v
	}
	images, layers, layerBytes, workers := n[0], int(n[1]), n[2], int(n[3])
	ctx := context.Background()
	next := make(chan struct{})
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, generateRead)
			for range next {
				if err := generateOnce(ctx, layers, layerBytes, buf); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
send:
	for range images {
		select {
		case next <- struct{}{}:
		case err = <-errs:
			break send
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	for e := range errs {
		err = e
	}
	return err
}

func generateOnce(ctx context.Context, layers int, layerBytes int64, buf []byte) error {
	img, err := content.Generate(content.GenerateOptions{Layers: layers, LayerSize: layerBytes})
	if err != nil {
		return err
	}
	for _, l := range img.Layers {
		d, err := l.Descriptor(ctx)
		if err != nil {
			return err
		}
		rc, err := l.Open(ctx)
		if err != nil {
			return err
		}
		got, err := io.CopyBuffer(writerOnly{io.Discard}, readerOnly{rc}, buf)
		_ = rc.Close()
		if err != nil {
			return err
		}
		if got != d.Size {
			return fmt.Errorf("layer %s: read %d bytes, want %d", d.Digest, got, d.Size)
		}
	}
	return nil
}

// readerOnly and writerOnly hide every method but Read and Write, so
// io.CopyBuffer reads in the buffer given.
type readerOnly struct{ io.Reader }

type writerOnly struct{ io.Writer }
