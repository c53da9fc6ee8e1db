// Package servermetrics reads a registry's own metrics, the Prometheus text
// exposition its debug server serves (distribution's /metrics), and turns
// what changed since the last scrape into changes a load test records
// beside its own: requests and their latency per handler and method,
// in-flight requests, storage calls, proxy hits, misses and bytes. It has
// no k6 imports; the k6 binding records the changes.
package servermetrics

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

const (
	// DefaultMaxSeries is Options.MaxSeries when zero.
	DefaultMaxSeries = 200
	// MaxBody bounds an exposition read into memory. distribution's is
	// about 60 KiB.
	MaxBody = 16 << 20
	// maxSkippedNames bounds the names a Result lists as skipped.
	maxSkippedNames = 50
	// maxNameLength is k6's limit on a metric name.
	maxNameLength = 128
)

// Options configure a Scraper.
type Options struct {
	// Include passes through families whose name it matches and that no
	// rule maps, as registry_server_<name>: a counter's increase, a gauge's
	// value, a histogram's or summary's count (<name>_count) and mean.
	// All their labels become tags. nil passes none.
	Include *regexp.Regexp
	// MaxSeries caps the distinct tag sets of each metric over the
	// scraper's life: the first MaxSeries are recorded, and changes of any
	// later one are dropped and counted in Result.Dropped. 0 means
	// DefaultMaxSeries.
	MaxSeries int
}

// Change is what one metric's series did since the last scrape.
type Change struct {
	Metric string
	Kind   Kind
	Unit   Unit
	Tags   map[string]string
	Value  float64
}

// Result is one scrape's outcome.
type Result struct {
	// Baseline marks the first scrape: it learns where counters stand and
	// records gauges only.
	Baseline bool
	Changes  []Change
	// Families is how many metric families the exposition held.
	Families int
	// Skipped counts the families neither mapped nor included; SkippedNames
	// lists the first of them, sorted.
	Skipped      int
	SkippedNames []string
	// Dropped counts changes not recorded: their tag set came after the
	// metric had MaxSeries, or their family had a name k6 cannot take.
	Dropped int
}

// Scraper turns successive expositions into changes. It is safe for
// concurrent use; expositions must be handed to it in the order they were
// taken, so one goroutine at a time should fetch and update.
type Scraper struct {
	fetching sync.Mutex // held by Scrape from request to update
	mu       sync.Mutex
	opts     Options
	scraped  bool
	last     map[string]reading             // by series: the last exposition's, nothing older
	tagSets  map[string]map[string]struct{} // by metric: the tag sets admitted under the cap
}

// reading is a series' value, or a histogram's or summary's count and sum.
type reading struct {
	value, count, sum float64
}

// New returns a scraper that has seen nothing yet.
func New(opts Options) *Scraper {
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = DefaultMaxSeries
	}
	return &Scraper{opts: opts, last: map[string]reading{}, tagSets: map[string]map[string]struct{}{}}
}

// aggregate is one metric's tag set, summed over the labels its rule drops.
type aggregate struct {
	change     Change
	count, sum float64 // of a Trend: increases of count and sum
}

// Update reads one exposition in the Prometheus text format and returns
// what changed since the previous one. A malformed exposition changes
// nothing and is an error naming what was wrong.
func (s *Scraper) Update(r io.Reader) (*Result, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the metrics: %w", err)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("the metrics are larger than %d bytes", MaxBody)
	}
	families, err := parseText(body)
	if err != nil {
		return nil, fmt.Errorf("the metrics are not the Prometheus text format: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	res := &Result{Baseline: !s.scraped, Families: len(families)}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	next := make(map[string]reading, len(s.last))
	aggs := map[string]*aggregate{}
	var order []string
	for _, name := range names {
		fam := families[name]
		rl := s.ruleFor(name, fam.typ)
		if rl == nil {
			res.Skipped++
			if len(res.SkippedNames) < maxSkippedNames {
				res.SkippedNames = append(res.SkippedNames, name)
			}
			continue
		}
		for _, skey := range fam.order {
			m := fam.series[skey]
			cur := m.reading
			if !cur.finite() {
				continue
			}
			key := strconv.Quote(name) + "{" + skey + "}"
			next[key] = cur
			inc := increase(cur, s.last, key)
			tags := rl.tags(m.labels)
			for _, out := range rl.outputs {
				kind := out.kind(fam.typ)
				if len(out.metric) > maxNameLength {
					res.Dropped++
					continue
				}
				akey := out.metric + tagKey(tags)
				a := aggs[akey]
				if a == nil {
					a = &aggregate{change: Change{Metric: out.metric, Kind: kind, Unit: out.unit, Tags: tags}}
					aggs[akey] = a
					order = append(order, akey)
				}
				switch out.field {
				case fieldValue:
					if kind == Gauge {
						a.change.Value += cur.value
					} else {
						a.change.Value += inc.value
					}
				case fieldCount:
					a.change.Value += inc.count
				case fieldSum:
					a.change.Value += inc.sum
				case fieldMean:
					a.count += inc.count
					a.sum += inc.sum
				}
			}
		}
	}
	s.last, s.scraped = next, true

	for _, akey := range order {
		a := aggs[akey]
		c := a.change
		if c.Kind == Trend {
			if a.count <= 0 {
				continue
			}
			c.Value = a.sum / a.count
		}
		// Before the baseline nothing was counted; after it, a counter that
		// did not move has nothing to say.
		if c.Kind != Gauge && (res.Baseline || c.Value == 0) {
			continue
		}
		if !s.admit(c.Metric, akey) {
			res.Dropped++
			continue
		}
		res.Changes = append(res.Changes, c)
	}
	if c, ok := storagePerRequest(res.Changes); ok {
		res.Changes = append(res.Changes, c)
	}
	return res, nil
}

// storagePerRequest is the storage driver calls per API request served
// since the last scrape, when requests were: the driver's calls carry no
// handler, so the ratio is of all requests together.
func storagePerRequest(changes []Change) (Change, bool) {
	var requests, actions float64
	for _, c := range changes {
		switch c.Metric {
		case Prefix + "requests":
			requests += c.Value
		case Prefix + "storage_actions":
			actions += c.Value
		}
	}
	if requests == 0 {
		return Change{}, false
	}
	return Change{Metric: Prefix + "storage_calls_per_request", Kind: Trend, Tags: map[string]string{}, Value: actions / requests}, true
}

// admit tells whether a metric's tag set is recorded: it was admitted
// before, or the metric has fewer than MaxSeries.
func (s *Scraper) admit(metric, akey string) bool {
	sets := s.tagSets[metric]
	if sets == nil {
		sets = map[string]struct{}{}
		s.tagSets[metric] = sets
	}
	if _, ok := sets[akey]; ok {
		return true
	}
	if len(sets) >= s.opts.MaxSeries {
		return false
	}
	sets[akey] = struct{}{}
	return true
}

// ruleFor is the rule recording a family: distribution's, else a pass
// through when Include matches, else none. A family of another type than
// its rule expects is not recorded.
func (s *Scraper) ruleFor(name string, typ Type) *rule {
	if rl, ok := rulesByFamily[name]; ok {
		if rl.typ != typ {
			return nil
		}
		return rl
	}
	if s.opts.Include == nil || !s.opts.Include.MatchString(name) {
		return nil
	}
	return passThrough(name, typ)
}

// passThrough records a family under its own name, with all its labels.
func passThrough(name string, typ Type) *rule {
	metric := Prefix + metricName(name)
	rl := &rule{family: name, typ: typ, allLabels: true}
	switch typ {
	case CounterType, GaugeType, Untyped:
		rl.outputs = []output{{metric: metric, field: fieldValue}}
	case HistogramType, SummaryType:
		rl.outputs = []output{{metric: metric + "_count", field: fieldCount}, {metric: metric, field: fieldMean}}
	}
	return rl
}

// metricName is a Prometheus name as k6 takes it: k6 refuses the colons
// of recording rules and any byte beyond letters, digits and _.
func metricName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
}

// kind is how an output of a family of typ is recorded.
func (out output) kind(typ Type) Kind {
	switch {
	case out.field == fieldMean:
		return Trend
	case out.field == fieldValue && typ != CounterType:
		return Gauge
	}
	return Counter
}

// tags are a series' labels as the rule keeps them, with registry_op.
// A pass-through keeps every label.
func (rl *rule) tags(labels []labelPair) map[string]string {
	tags := map[string]string{}
	for _, l := range labels {
		if rl.allLabels {
			tags[l.name] = l.value
			continue
		}
		if tag, ok := rl.labels[l.name]; ok {
			tags[tag] = l.value
		}
	}
	if rl.op {
		if op, ok := handlerOps[[2]string{label(labels, "handler"), strings.ToLower(label(labels, "method"))}]; ok {
			tags[TagOp] = op
		}
	}
	return tags
}

func label(labels []labelPair, name string) string {
	for _, l := range labels {
		if l.name == name {
			return l.value
		}
	}
	return ""
}

// finite tells whether a reading is one: NaN, as a summary with no
// observations has, and infinities are not counted.
func (r reading) finite() bool {
	for _, v := range []float64{r.value, r.count, r.sum} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// increase is how far a series moved since the last exposition. A series
// new since then started at zero; one that went down was reset (the
// registry restarted) and counted from zero again.
func increase(cur reading, last map[string]reading, key string) reading {
	prev, ok := last[key]
	if !ok || cur.value < prev.value || cur.count < prev.count {
		return cur
	}
	return reading{value: cur.value - prev.value, count: cur.count - prev.count, sum: cur.sum - prev.sum}
}

// tagKey names a tag set.
func tagKey(tags map[string]string) string {
	pairs := make([]string, 0, len(tags))
	for k, v := range tags {
		pairs = append(pairs, strconv.Quote(k)+"="+strconv.Quote(v))
	}
	sort.Strings(pairs)
	return "{" + strings.Join(pairs, ",") + "}"
}
