package replay

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// ibmRecord is one request of the IBM registry traces.
type ibmRecord struct {
	Timestamp  string   `json:"timestamp"`
	Duration   *float64 `json:"http.request.duration"` // seconds
	Method     string   `json:"http.request.method"`
	URI        string   `json:"http.request.uri"`
	RemoteAddr string   `json:"http.request.remoteaddr"`
	Status     int      `json:"http.response.status"`
	Written    int64    `json:"http.response.written"`
}

// readIBM reads an IBM trace: a JSON array of records, as the published
// files are, or one record a line. The timestamp is taken as the end, as
// distribution, whose logs the traces were made from, writes it.
func readIBM(r io.Reader, name string, lg *Log) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if first != '[' {
		return eachLine(br, name, lg, readIBMLine)
	}
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for i := 1; dec.More(); i++ {
		var rec ibmRecord
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("%s: record %d: %w (is the format %s right?)", name, i, err, FormatIBM)
		}
		lg.Lines++
		req, err := rec.request()
		if err != nil {
			return fmt.Errorf("%s: record %d: %w", name, i, err)
		}
		req.Where = fmt.Sprintf("%s: record %d", name, i)
		lg.Requests = append(lg.Requests, req)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: the array does not end: %w", name, err)
	}
	return nil
}

func readIBMLine(line []byte) (Request, error) {
	var rec ibmRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		return Request{}, fmt.Errorf("not a JSON record: %w", err)
	}
	return rec.request()
}

func (rec ibmRecord) request() (Request, error) {
	if rec.Method == "" || rec.URI == "" {
		return Request{}, errors.New("no http.request.method or http.request.uri")
	}
	end, err := time.Parse(time.RFC3339Nano, rec.Timestamp)
	if err != nil {
		return Request{}, fmt.Errorf("timestamp %q: %w", rec.Timestamp, err)
	}
	var d time.Duration
	if rec.Duration != nil {
		if *rec.Duration < 0 || math.IsNaN(*rec.Duration) || *rec.Duration > 1e6 {
			return Request{}, fmt.Errorf("http.request.duration %v is not a number of seconds", *rec.Duration)
		}
		d = time.Duration(*rec.Duration * float64(time.Second))
	}
	return newRequest(end.Add(-d), d, rec.Method, rec.URI, rec.Status, rec.Written, rec.RemoteAddr, "")
}

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
			return b, br.UnreadByte()
		}
	}
}
