package registrytest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
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

// accessLogStatus is a request's status in the access log (Apache
// Combined): the number after the quoted request line.
var accessLogStatus = regexp.MustCompile(`" (\d{3}) `)

// LoggedStatuses counts the requests of the access log (Options.RequestLog)
// by status, after WaitLogged.
func (r *Registry) LoggedStatuses() (map[int]int, error) {
	if r.AccessLog == "" {
		return nil, errors.New("registrytest: the registry has no request log; start it with Options.RequestLog")
	}
	raw, err := os.ReadFile(r.AccessLog)
	if err != nil {
		return nil, err
	}
	counts := map[int]int{}
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if line == "" {
			continue
		}
		m := accessLogStatus.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("registrytest: no status in the access log's line %q", line)
		}
		status, _ := strconv.Atoi(m[1])
		counts[status]++
	}
	return counts, nil
}
