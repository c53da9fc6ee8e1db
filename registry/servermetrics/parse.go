package servermetrics

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Type is a metric family's type, as its # TYPE line says.
type Type int

// Family types of the text format.
const (
	Untyped Type = iota
	CounterType
	GaugeType
	HistogramType
	SummaryType
)

var typeNames = map[string]Type{
	"untyped": Untyped, "counter": CounterType, "gauge": GaugeType,
	"histogram": HistogramType, "summary": SummaryType,
}

// family is one metric family of an exposition: its series by label set.
// A histogram's or summary's series are read as a count and a sum; its
// buckets and quantiles are checked and set aside.
type family struct {
	typ    Type
	series map[string]*series
	order  []string // series keys as they first appeared
}

type series struct {
	labels []labelPair
	reading
	seen uint8 // which of a histogram's _count and _sum came (seenCount, seenSum)
}

const (
	seenCount = 1 << iota
	seenSum
)

type labelPair struct {
	name, value string
}

// exposition is a parsed text exposition: its families by name.
type exposition map[string]*family

// parseText parses the Prometheus text format (version 0.0.4) strictly:
// each line a # HELP, # TYPE or other comment, a sample, or empty. A
// mistake is an error naming its line.
func parseText(body []byte) (exposition, error) {
	exp := exposition{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), MaxBody)
	for n := 1; sc.Scan(); n++ {
		if err := exp.line(sc.Text()); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for name, f := range exp {
		for _, s := range f.series {
			if (f.typ == HistogramType || f.typ == SummaryType) && s.seen != seenCount|seenSum {
				return nil, fmt.Errorf("%s %s{%s} has no _count or no _sum", f.typ, name, labelText(s.labels))
			}
		}
	}
	return exp, nil
}

func (t Type) String() string {
	for name, typ := range typeNames {
		if typ == t {
			return name
		}
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

func (exp exposition) line(line string) error {
	line = strings.TrimRight(line, " \t\r")
	switch {
	case strings.TrimLeft(line, " \t") == "":
		return nil
	case strings.HasPrefix(line, "#"):
		return exp.comment(line)
	}
	return exp.sample(line)
}

// comment reads # TYPE lines; # HELP and other comments say nothing the
// scraper needs.
func (exp exposition) comment(line string) error {
	fields := strings.Fields(strings.TrimPrefix(line, "#"))
	if len(fields) < 2 || fields[0] != "TYPE" {
		if len(fields) >= 1 && fields[0] == "HELP" && (len(fields) < 2 || !validName(fields[1])) {
			return fmt.Errorf("# HELP without a metric name: %q", clip(line))
		}
		return nil
	}
	name := fields[1]
	if !validName(name) {
		return fmt.Errorf("# TYPE of %q: not a metric name", clip(name))
	}
	if len(fields) != 3 {
		return fmt.Errorf("# TYPE %s: want one type, got %q", name, clip(line))
	}
	typ, ok := typeNames[fields[2]]
	if !ok {
		return fmt.Errorf("# TYPE %s: %q is not counter, gauge, histogram, summary or untyped", name, clip(fields[2]))
	}
	if _, ok := exp[name]; ok {
		return fmt.Errorf("# TYPE %s comes after its samples or a TYPE before", name)
	}
	exp[name] = &family{typ: typ, series: map[string]*series{}}
	return nil
}

// sample reads name{labels} value [timestamp].
func (exp exposition) sample(line string) error {
	rest := strings.TrimLeft(line, " \t")
	end := strings.IndexAny(rest, "{ \t")
	if end < 0 {
		return fmt.Errorf("sample %q has no value", clip(line))
	}
	name := rest[:end]
	if !validName(name) {
		return fmt.Errorf("%q is not a metric name", clip(name))
	}
	rest = rest[end:]
	var labels []labelPair
	if strings.HasPrefix(rest, "{") {
		var err error
		if labels, rest, err = parseLabels(rest[1:]); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 || len(fields) > 2 || rest[0] != ' ' && rest[0] != '\t' {
		return fmt.Errorf("%s: want a value and an optional timestamp after the name and labels, got %q", name, clip(rest))
	}
	value, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return fmt.Errorf("%s: value %q is not a number", name, clip(fields[0]))
	}
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return fmt.Errorf("%s: timestamp %q is not whole milliseconds", name, clip(fields[1]))
		}
	}
	return exp.add(name, labels, value)
}

// add files a sample under its family: a histogram's _bucket, _count and
// _sum, a summary's quantiles, _count and _sum under the name its # TYPE
// gave, any other sample under its own name.
func (exp exposition) add(name string, labels []labelPair, value float64) error {
	famName, part := name, ""
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		base, ok := strings.CutSuffix(name, suffix)
		if f := exp[base]; ok && f != nil && (f.typ == HistogramType || f.typ == SummaryType && suffix != "_bucket") {
			famName, part = base, suffix
		}
	}
	f := exp[famName]
	if f == nil {
		f = &family{typ: Untyped, series: map[string]*series{}}
		exp[famName] = f
	}
	// A summary's quantile and a histogram's le tell one series' parts apart.
	var setAside string
	switch {
	case f.typ == HistogramType && part == "_bucket":
		setAside = "le"
	case f.typ == SummaryType && part == "":
		setAside = "quantile"
	case (f.typ == HistogramType || f.typ == SummaryType) && part == "":
		return fmt.Errorf("%s: a %s has only _bucket, _count and _sum samples", name, f.typ)
	}
	kept := labels[:0:0]
	found := setAside == ""
	for _, l := range labels {
		if l.name == setAside {
			if _, err := strconv.ParseFloat(l.value, 64); err != nil {
				return fmt.Errorf("%s: %s=%q is not a number", name, l.name, clip(l.value))
			}
			found = true
			continue
		}
		kept = append(kept, l)
	}
	if !found {
		return fmt.Errorf("%s: no %s label", name, setAside)
	}
	key := labelKey(kept)
	s := f.series[key]
	if s == nil {
		s = &series{labels: kept}
		f.series[key] = s
		f.order = append(f.order, key)
	} else if setAside == "" && (part == "" || s.seen&partBit(part) != 0) {
		return fmt.Errorf("%s{%s} appears twice", name, labelText(kept))
	}
	switch part {
	case "":
		if setAside == "" {
			s.value = value
		}
	case "_count":
		s.count, s.seen = value, s.seen|seenCount
	case "_sum":
		s.sum, s.seen = value, s.seen|seenSum
	}
	return nil
}

func partBit(part string) uint8 {
	if part == "_count" {
		return seenCount
	}
	return seenSum
}

// parseLabels reads label="value",... up to the closing brace, and
// returns the labels and what follows the brace.
func parseLabels(s string) ([]labelPair, string, error) {
	var labels []labelPair
	seen := map[string]bool{}
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, "", fmt.Errorf("labels end without a closing brace")
		}
		name := strings.TrimRight(s[:eq], " \t")
		if !validLabelName(name) {
			return nil, "", fmt.Errorf("%q is not a label name", clip(name))
		}
		if seen[name] {
			return nil, "", fmt.Errorf("label %s given twice", name)
		}
		seen[name] = true
		s = strings.TrimLeft(s[eq+1:], " \t")
		value, rest, err := quoted(s)
		if err != nil {
			return nil, "", fmt.Errorf("label %s: %w", name, err)
		}
		labels = append(labels, labelPair{name: name, value: value})
		s = strings.TrimLeft(rest, " \t")
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "}"):
		default:
			return nil, "", fmt.Errorf("after label %s: want , or }, got %q", name, clip(s))
		}
	}
}

// quoted reads a double-quoted label value with the format's escapes:
// \\, \" and \n.
func quoted(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("value must be double-quoted, got %q", clip(s))
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("value ends in a lone backslash")
			}
			i++
			switch s[i] {
			case '\\', '"':
				b.WriteByte(s[i])
			case 'n':
				b.WriteByte('\n')
			default:
				return "", "", fmt.Errorf(`value has the escape \%c; the format has \\, \" and \n`, s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("value has no closing quote")
}

// validName is a metric name of the classic format: [a-zA-Z_:][a-zA-Z0-9_:]*.
func validName(s string) bool {
	return validIdent(s, true)
}

// validLabelName is [a-zA-Z_][a-zA-Z0-9_]*.
func validLabelName(s string) bool {
	return validIdent(s, false)
}

func validIdent(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || colon && c == ':' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// labelKey names a label set, whatever order its labels came in.
func labelKey(labels []labelPair) string {
	pairs := make([]string, 0, len(labels))
	for _, l := range labels {
		pairs = append(pairs, strconv.Quote(l.name)+"="+strconv.Quote(l.value))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func labelText(labels []labelPair) string {
	pairs := make([]string, 0, len(labels))
	for _, l := range labels {
		pairs = append(pairs, l.name+"="+strconv.Quote(l.value))
	}
	return strings.Join(pairs, ",")
}

// clip shortens what a message quotes from the input.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
