// Command replay plans a replay of a registry's own traffic from its log,
// compares a replay's log with its source's, and writes synthetic logs:
//
//	replay plan -log FILE [-log FILE...] [-format distribution-json|combined|ibm]
//	            [-access-log FILE...] [-storage DIR] [-seed N] -o PLAN
//	replay compare -source LOG... -target LOG... [-format F] [-speed S]
//	            [-source-storage DIR] [-target-storage DIR] [-targets storage|log-only]
//	replay synth [-clients N] [-duration D] [-seed N] -o LOG
//
// The plan is what examples/replay.js replays; docs/replay.md tells how to
// take the log on the production side and what to expect.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xk6-registry/xk6-registry/replay"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var diverged errDiverged
		if !errors.As(err, &diverged) {
			fmt.Fprintln(os.Stderr, "replay:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage:
  replay plan -log FILE [-log FILE...] [-format distribution-json|combined|ibm] [-access-log FILE...] [-storage DIR] -o PLAN
  replay compare -source LOG [-source LOG...] -target LOG [-target LOG...] [-speed S] [-source-storage DIR] [-target-storage DIR] [-targets storage|log-only]
  replay synth [-clients 100] [-duration 1h] [-seed 1] -o LOG`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "plan":
		return plan(args[1:], stderr)
	case "compare":
		return compare(args[1:], stdout, stderr)
	case "synth":
		return synth(args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// files is a flag given once per file.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func formatFlag(fs *flag.FlagSet, name, usage string) *string {
	return fs.String(name, string(replay.FormatJSON), usage+" ("+formatNames()+")")
}

func formatNames() string {
	var names []string
	for _, f := range replay.Formats {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// readLogs reads files of one format and access logs to merge with them.
func readLogs(paths []string, format string, accessLogs []string) ([]replay.Request, []replay.Format, error) {
	if err := replay.Format(format).Validate(); err != nil {
		return nil, nil, err
	}
	var logs []*replay.Log
	formats := []replay.Format{replay.Format(format)}
	for _, p := range paths {
		lg, err := replay.ReadLogFile(p, replay.Format(format))
		if err != nil {
			return nil, nil, err
		}
		logs = append(logs, lg)
	}
	for _, p := range accessLogs {
		lg, err := replay.ReadLogFile(p, replay.FormatCombined)
		if err != nil {
			return nil, nil, err
		}
		logs = append(logs, lg)
	}
	if len(accessLogs) > 0 && format != string(replay.FormatCombined) {
		formats = append(formats, replay.FormatCombined)
	}
	return replay.Merge(logs...), formats, nil
}

func plan(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var logs, accessLogs files
	fs.Var(&logs, "log", "a log file to plan from (repeat for several)")
	fs.Var(&accessLogs, "access-log", "a Combined access log of the same registry, for what the JSON log misses (repeat for several)")
	format := formatFlag(fs, "format", "the format of the -log files")
	storage := fs.String("storage", "", "the source registry's storage root (storage.filesystem.rootdirectory), for sizes and manifests")
	seed := fs.Uint64("seed", 0, "seed of the plan's generated blobs; 0 takes a fresh one")
	out := fs.String("o", "", "where to write the plan")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(logs) == 0 || *out == "" {
		return errors.New("plan needs -log FILE and -o PLAN\n" + usage)
	}
	start := time.Now()
	reqs, formats, err := readLogs(logs, *format, accessLogs)
	if err != nil {
		return err
	}
	opts := replay.PlanOptions{Seed: *seed, Formats: formats}
	if *storage != "" {
		st, err := replay.OpenStorage(*storage)
		if err != nil {
			return err
		}
		defer st.Close()
		opts.Storage = st
	}
	p, err := replay.Build(reqs, opts)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return writeSummary(stderr, p, *out, time.Since(start))
}

func writeSummary(w io.Writer, p *replay.Plan, out string, took time.Duration) error {
	sizes := "from the storage"
	if !p.Source.Storage {
		sizes = fmt.Sprintf("from the log: %d blob sizes estimated", p.Source.EstimatedSizes)
	}
	_, err := fmt.Fprintf(w, "replay: %s: %d clients, %d steps for %d requests over %.1fs; warm-up %d blobs, %d manifests; sizes %s; %d reads raced a write\n",
		out, len(p.Clients), len(p.Steps), p.Source.Requests, p.Duration, len(p.WarmUp.Blobs), len(p.WarmUp.Manifests), sizes, p.Source.Races)
	if err != nil {
		return err
	}
	if p.Source.Challenges > 0 {
		fmt.Fprintf(w, "replay: %d 401 challenges left to the replay's own auth\n", p.Source.Challenges)
	}
	if len(p.Source.Unmapped) > 0 {
		fmt.Fprintln(w, "replay: not mapped:")
		for _, line := range replay.DescribeUnmapped(p.Source.Unmapped) {
			fmt.Fprintln(w, "  "+line)
		}
	}
	fmt.Fprintf(w, "replay: planned in %s\n", took.Round(time.Millisecond))
	return nil
}

// errDiverged is a compare whose verdict missed the targets; the report
// has said so.
type errDiverged struct{}

func (errDiverged) Error() string { return "the replay diverges from its source" }

func compare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sources, targets, sourceAccess, targetAccess files
	fs.Var(&sources, "source", "the source's log (repeat for several)")
	fs.Var(&targets, "target", "the replay target's log (repeat for several)")
	fs.Var(&sourceAccess, "source-access-log", "the source's Combined access log, merged with -source")
	fs.Var(&targetAccess, "target-access-log", "the target's Combined access log, merged with -target")
	format := formatFlag(fs, "format", "the format of the -source logs")
	targetFormat := formatFlag(fs, "target-format", "the format of the -target logs")
	speed := fs.Float64("speed", 1, "the SPEED the replay ran at")
	sourceStorage := fs.String("source-storage", "", "the source's storage root, for bytes stored")
	targetStorage := fs.String("target-storage", "", "the target's storage root, for bytes stored")
	targetsName := fs.String("targets", "storage", "the targets to judge by: storage (a plan made with -storage) or log-only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(sources) == 0 || len(targets) == 0 {
		return errors.New("compare needs -source LOG and -target LOG\n" + usage)
	}
	t := replay.TargetsWithStorage
	switch *targetsName {
	case "storage":
	case "log-only":
		t = replay.TargetsLogOnly
	default:
		return fmt.Errorf("-targets %q is not storage or log-only", *targetsName)
	}
	src, _, err := readLogs(sources, *format, sourceAccess)
	if err != nil {
		return err
	}
	dst, _, err := readLogs(targets, *targetFormat, targetAccess)
	if err != nil {
		return err
	}
	fid, err := replay.Compare(src, dst, replay.CompareOptions{Speed: *speed, SourceStorage: *sourceStorage, TargetStorage: *targetStorage, Targets: t})
	if err != nil {
		return err
	}
	if err := fid.Write(stdout, t); err != nil {
		return err
	}
	if len(fid.Failures) > 0 {
		return errDiverged{}
	}
	return nil
}

func synth(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := replay.DefaultSynthOptions()
	fs.IntVar(&opts.Clients, "clients", opts.Clients, "clients")
	fs.DurationVar(&opts.Duration, "duration", opts.Duration, "length of the trace")
	fs.Uint64Var(&opts.Seed, "seed", opts.Seed, "seed of the workload")
	out := fs.String("o", "", "where to write the log (distribution-json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("synth needs -o LOG\n" + usage)
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	n, err := replay.Synthesize(f, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "replay: %s: %d requests of %d clients over %s\n", *out, n, opts.Clients, opts.Duration)
	return nil
}
