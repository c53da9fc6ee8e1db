package registrytest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"
)

// loggedTimeout bounds WaitLogged: a registry writes a request's lines as
// the response ends.
const loggedTimeout = 10 * time.Second

// WaitLogged waits until the access log (Options.RequestLog) holds n
// requests, every one a client sent having been answered. The access log
// wraps every handler, so a request is in the JSON log by the time it is
// in the access log.
func (r *Registry) WaitLogged(n int) error {
	if r.AccessLog == "" {
		return errors.New("registrytest: the registry has no request log; start it with Options.RequestLog")
	}
	deadline := time.Now().Add(loggedTimeout)
	for {
		raw, err := os.ReadFile(r.AccessLog)
		if err != nil {
			return err
		}
		got := bytes.Count(raw, []byte("\n"))
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("registrytest: the access log holds %d requests after %s, want %d", got, loggedTimeout, n)
		}
		time.Sleep(readyPoll)
	}
}
