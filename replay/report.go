package replay

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// maxRateRows bounds the requests-per-second table: a long trace is shown
// in wider buckets.
const maxRateRows = 60

// maxClientRows bounds the per-client table to the busiest clients.
const maxClientRows = 10

// Write prints the fidelity report: the mix, bytes, rates, clients and the
// verdict against t.
func (f *Fidelity) Write(w io.Writer, t Targets) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\troute\tstatus\tsource\tbytes\ttarget\tbytes\t")
	for _, r := range f.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t\n", r.Method, r.Route, r.Status, r.Source, size(r.SourceBytes), r.Target, size(r.TargetBytes))
	}
	fmt.Fprintf(tw, "total\t\t\t%d\t\t%d\t\t\n", f.Source, f.Target)
	_ = tw.Flush()
	fmt.Fprintf(&b, "mix: %.1f%% of requests in another method, route or status class\n", 100*f.Mix)
	if f.WarmUp > 0 || f.Others > 0 {
		fmt.Fprintf(&b, "left out of the target: %d warm-up requests, %d of other clients\n", f.WarmUp, f.Others)
	}
	fmt.Fprintf(&b, "blob bytes served: %s source, %s target (%+.1f%%)\n", size(f.SourceBlobBytes), size(f.TargetBlobBytes), 100*relDiff(f.SourceBlobBytes, f.TargetBlobBytes))
	if f.SourceStored >= 0 && f.TargetStored >= 0 {
		fmt.Fprintf(&b, "bytes stored: %s source, %s target (%+.1f%%)\n", size(f.SourceStored), size(f.TargetStored), 100*relDiff(f.SourceStored, f.TargetStored))
	}
	f.writeRates(&b)
	fmt.Fprintf(&b, "clients (the %d busiest): requests and mean gap between them, source | target\n", min(maxClientRows, len(f.Clients)))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, c := range f.Clients {
		if i == maxClientRows {
			break
		}
		fmt.Fprintf(tw, "  %s\t%d | %d\t%.3fs | %.3fs\t\n", c.Client, c.Source, c.Target, c.SourceGap, c.TargetGap)
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "status mismatches: %d\n", f.Mismatches)
	fmt.Fprintln(&b, f.Verdict(t))
	_, err := io.WriteString(w, b.String())
	return err
}

func (f *Fidelity) writeRates(b *strings.Builder) {
	n := max(len(f.SourceRate), len(f.TargetRate))
	width := (n + maxRateRows - 1) / maxRateRows
	fmt.Fprintf(b, "requests per %ds, source | target (correlation %.3f per second):\n", width, f.Correlation)
	sum := func(s []int, from int) int {
		t := 0
		for i := from; i < from+width && i < len(s); i++ {
			t += s[i]
		}
		return t
	}
	for from := 0; from < n; from += width {
		fmt.Fprintf(b, "  %6ds %6d | %-6d\n", from, sum(f.SourceRate, from), sum(f.TargetRate, from))
	}
}

// size prints a byte count in binary units.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	v, u := float64(n), 0
	for v >= unit && u < 4 {
		v /= unit
		u++
	}
	return fmt.Sprintf("%.1f%ciB", v, "KMGTP"[u-1])
}
