package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"
)

// hashFlag runs this program as the hashing row: sha256 over a number of
// bytes, in a number of goroutines, as verified pulls hash at once.
const hashFlag = "-hash-row"

func hashRow(bytesArg, concurrencyArg string) error {
	total, err := strconv.ParseInt(bytesArg, 10, 64)
	if err != nil || total < 0 {
		return fmt.Errorf("%s: bytes %q", hashFlag, bytesArg)
	}
	workers, err := strconv.Atoi(concurrencyArg)
	if err != nil || workers < 1 {
		return fmt.Errorf("%s: concurrency %q", hashFlag, concurrencyArg)
	}
	buf := make([]byte, 1<<20)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails on Linux
	var wg sync.WaitGroup
	share := total / int64(workers)
	for i := range workers {
		n := share
		if i == 0 {
			n += total % int64(workers)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			for ; n > 0; n -= int64(len(buf)) {
				h.Write(buf[:min(n, int64(len(buf)))])
			}
		}()
	}
	wg.Wait()
	return nil
}
