package replay

import (
	"encoding/json"
	"fmt"
	"time"
)

// jsonLine is the part of a distribution v3 JSON log line a replay reads.
type jsonLine struct {
	Time       string `json:"time"`
	Msg        string `json:"msg"`
	Method     string `json:"http.request.method"`
	URI        string `json:"http.request.uri"`
	RemoteAddr string `json:"http.request.remoteaddr"`
	Status     int    `json:"http.response.status"`
	Written    int64  `json:"http.response.written"`
	Duration   string `json:"http.response.duration"`
	User       string `json:"auth.user.name"`
	Agent      string `json:"http.request.useragent"`
}

// readJSONLine reads one line of distribution's JSON log. Its time is when
// the request ended; the start is that less the duration.
func readJSONLine(line []byte) (Request, error) {
	var l jsonLine
	if err := json.Unmarshal(line, &l); err != nil {
		return Request{}, fmt.Errorf("not a JSON log line: %w", err)
	}
	if l.Method == "" || (l.Msg != "response completed" && l.Msg != "response completed with error") {
		return Request{}, errNotRequest
	}
	end, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return Request{}, fmt.Errorf("time %q: %w", l.Time, err)
	}
	d, err := time.ParseDuration(l.Duration)
	if err != nil || d < 0 {
		return Request{}, fmt.Errorf("http.response.duration %q is not a duration such as \"3.9ms\"", l.Duration)
	}
	r, err := newRequest(end.Add(-d), d, l.Method, l.URI, l.Status, l.Written, l.RemoteAddr, l.User)
	r.Agent = l.Agent
	return r, err
}

// newRequest checks and assembles the fields every format has.
func newRequest(start time.Time, d time.Duration, method, uri string, status int, written int64, addr, user string) (Request, error) {
	if status < 100 || status > 599 {
		return Request{}, fmt.Errorf("status %d is not an HTTP status", status)
	}
	if written < 0 {
		return Request{}, fmt.Errorf("written %d is negative", written)
	}
	path, query, err := splitURI(uri)
	if err != nil {
		return Request{}, fmt.Errorf("uri %q: %w", uri, err)
	}
	return Request{
		Start: start, Duration: d, Method: method, Path: path, Query: query, Status: status,
		Written: written, Client: clientOf(addr), User: user, Route: ParseRoute(path),
	}, nil
}
