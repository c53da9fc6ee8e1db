package replay

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// combinedRegexp is an Apache Combined log line: host ident user [time]
// "method uri proto" status size "referer" "user agent".
var combinedRegexp = regexp.MustCompile(`^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+)(?: [^"]*)?" (\d{3}) (\d+|-)(?: "[^"]*" "([^"]*)")?`)

const combinedTime = "02/Jan/2006:15:04:05 -0700"

// readCombinedLine reads one line of an access log. Its time is when the
// request started, to the second; it has no duration.
func readCombinedLine(line []byte) (Request, error) {
	m := combinedRegexp.FindSubmatch(line)
	if m == nil {
		return Request{}, fmt.Errorf("not an Apache Combined log line")
	}
	start, err := time.Parse(combinedTime, string(m[3]))
	if err != nil {
		return Request{}, fmt.Errorf("time %q: %w", m[3], err)
	}
	status, _ := strconv.Atoi(string(m[6]))
	var written int64
	if string(m[7]) != "-" {
		if written, err = strconv.ParseInt(string(m[7]), 10, 64); err != nil {
			return Request{}, fmt.Errorf("size %q: %w", m[7], err)
		}
	}
	user := string(m[2])
	if user == "-" {
		user = ""
	}
	r, err := newRequest(start, 0, string(m[4]), string(m[5]), status, written, string(m[1]), user)
	r.Agent = string(m[8])
	return r, err
}
