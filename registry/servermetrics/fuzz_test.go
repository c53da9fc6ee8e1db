package servermetrics_test

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/xk6-registry/xk6-registry/registry/servermetrics"
)

// k6Name is what a pass-through's metric name is made of.
var k6Name = regexp.MustCompile(`^[a-zA-Z0-9_]+$`)

// FuzzUpdate feeds two expositions to a scraper: bad ones are errors,
// never panics, and what good ones record is finite, named for k6 and
// never a negative count.
func FuzzUpdate(f *testing.F) {
	f.Add(exposition(1, 0.1, 0, ""), exposition(5, 0.2, 1, ""))
	f.Add("# TYPE a_total counter\na_total{x=\"1\"} 3\n", "# TYPE a_total counter\na_total{x=\"1\"} 1\n")
	f.Add("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", "# TYPE h histogram\nh_sum 3\nh_count 4\n")
	f.Add("# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum NaN\ns_count 1\n", "x{y=\"\\n\"} +Inf\n")
	f.Fuzz(func(t *testing.T, first, second string) {
		s := servermetrics.New(servermetrics.Options{Include: regexp.MustCompile(`.`), MaxSeries: 4})
		for _, text := range []string{first, second} {
			res, err := s.Update(strings.NewReader(text))
			if err != nil {
				continue
			}
			if res.Skipped < len(res.SkippedNames) {
				t.Fatalf("skipped %d but named %d", res.Skipped, len(res.SkippedNames))
			}
			for _, c := range res.Changes {
				if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
					t.Fatalf("%+v is not finite", c)
				}
				if !strings.HasPrefix(c.Metric, servermetrics.Prefix) || len(c.Metric) > 128 || !k6Name.MatchString(c.Metric) {
					t.Fatalf("%q is no k6 metric name", c.Metric)
				}
				if c.Kind == servermetrics.Counter && c.Value < 0 {
					t.Fatalf("%+v counts down", c)
				}
			}
		}
	})
}
