package replay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// Format is a log format the planner reads.
type Format string

// Log formats.
const (
	// FormatJSON is distribution v3's log with log.formatter: json: one
	// line per routed request, written when it ends.
	FormatJSON Format = "distribution-json"
	// FormatCombined is the Apache Combined access log distribution writes
	// on stdout with log.accesslog.disabled: false, unrouted requests and
	// 401 challenges included; its times are whole seconds.
	FormatCombined Format = "combined"
	// FormatIBM is the format of the IBM registry traces (FAST'18): JSON
	// records, as an array or one a line, with the older field names.
	FormatIBM Format = "ibm"
)

// Formats lists the formats, for usage messages.
var Formats = []Format{FormatJSON, FormatCombined, FormatIBM}

// Validate checks that the format is one the planner reads.
func (f Format) Validate() error {
	for _, known := range Formats {
		if f == known {
			return nil
		}
	}
	return fmt.Errorf("log format %q is not one of %v", f, Formats)
}

// maxLine bounds one log line: a request line is well under a KiB.
const maxLine = 1 << 20

// Log is the requests read from one or more files of one format.
type Log struct {
	Format   Format
	Requests []Request
	// Lines counts lines (records) read; NotRequests those that were log
	// records of something other than a request, e.g. startup messages.
	Lines, NotRequests int
}

// ReadLogFile reads a log file of the format.
func ReadLogFile(path string, format Format) (*Log, error) {
	f, err := os.Open(path) // #nosec G304 -- the log the user named
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadLog(f, path, format)
}

// ReadLog reads a log of the format from r; name names it in errors.
func ReadLog(r io.Reader, name string, format Format) (*Log, error) {
	lg := &Log{Format: format}
	var err error
	switch format {
	case FormatJSON:
		err = eachLine(r, name, lg, readJSONLine)
	case FormatCombined:
		err = eachLine(r, name, lg, readCombinedLine)
	case FormatIBM:
		err = readIBM(r, name, lg)
	default:
		return nil, format.Validate()
	}
	if err != nil {
		return nil, err
	}
	sortRequests(lg.Requests)
	return lg, nil
}

// errNotRequest marks a well-formed log record that is not a request.
var errNotRequest = errors.New("not a request")

// eachLine feeds each non-empty line to read, naming the line in errors.
func eachLine(r io.Reader, name string, lg *Log, read func([]byte) (Request, error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		lg.Lines++
		req, err := read(line)
		switch {
		case errors.Is(err, errNotRequest):
			lg.NotRequests++
			continue
		case err != nil:
			return fmt.Errorf("%s:%d: %w (is the format %s right?)", name, n, err, lg.Format)
		}
		req.Where = fmt.Sprintf("%s:%d", name, n)
		lg.Requests = append(lg.Requests, req)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	return nil
}

// sortRequests puts requests in order of their start, keeping the log's
// order for equal starts, so every reader of one log sees one order.
func sortRequests(reqs []Request) {
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].Start.Before(reqs[j].Start) })
}

// Merge joins logs of one registry into one list of requests in order of
// their start. A request a Combined access log shares with a JSON log (one
// method, URI path, status and second) is taken once, from the JSON log,
// which has its duration, user and names; what only the access log has
// (unrouted requests, 401 challenges) is added.
func Merge(logs ...*Log) []Request {
	var detailed, combined []Request
	for _, lg := range logs {
		if lg.Format == FormatCombined {
			combined = append(combined, lg.Requests...)
		} else {
			detailed = append(detailed, lg.Requests...)
		}
	}
	if len(detailed) == 0 {
		out := append([]Request(nil), combined...)
		sortRequests(out)
		return out
	}
	type key struct {
		method, path string
		status       int
		second       int64
	}
	seen := map[key]int{}
	for _, r := range detailed {
		seen[key{r.Method, r.Path, r.Status, r.Start.Unix()}]++
	}
	out := append([]Request(nil), detailed...)
	for _, r := range combined {
		// The access log's time is the start, cut to the second; the JSON
		// line's start is computed from its end and may fall in the next.
		found := false
		for _, s := range []int64{r.Start.Unix(), r.Start.Unix() + 1, r.Start.Unix() - 1} {
			k := key{r.Method, r.Path, r.Status, s}
			if seen[k] > 0 {
				seen[k]--
				found = true
				break
			}
		}
		if !found {
			out = append(out, r)
		}
	}
	sortRequests(out)
	return out
}
