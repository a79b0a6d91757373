package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-nsm/vigil/internal/lab"
)

const labUsage = `Usage: vigil lab COMMAND [options]

The cyber range: a small dual-stack network of Linux network namespaces with
real services and real attack tools; every scenario gives a capture and its
ground truth. Needs root and the tools of scripts/lab-deps.sh.

Commands:
  list                              the scenarios: difficulty, tools, alert classes
  run SCENARIO...|all [-o DIR] [--duration D]
                                    run scenarios: DIR/SCENARIO.pcap and DIR/SCENARIO.labels.json
  exercise SCENARIO|random [--replay DIR] [--difficulty D]
                                    a training exercise: run (or replay) a scenario and answer
                                    the analyst's questions; scored against the labels
  clean                             remove what a crashed lab left behind
`

func runLab(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, labUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "list":
		return labList()
	case "run":
		return labRun(ctx, args[1:])
	case "exercise":
		return labExercise(ctx, args[1:])
	case "clean":
		return labClean()
	}
	fmt.Fprintf(os.Stderr, "vigil lab: unknown command %q\n\n%s", args[0], labUsage)
	return errUsage
}

func labList() error {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tDIFFICULTY\tCLASSES\tTOOLS\tDESCRIPTION")
	for _, s := range lab.Scenarios() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Difficulty, orDash(s.Classes), orDash(s.Tools), s.Description)
	}
	return tw.Flush()
}

func orDash(ss []string) string {
	if len(ss) == 0 {
		return "-"
	}
	return strings.Join(ss, ",")
}

// labFlags parses options that may come before or after the scenario
// names (`vigil lab run mirai -o out` reads naturally).
func labFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return names, nil
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func labRun(ctx context.Context, args []string) error {
	cfg := lab.DefaultConfig()
	fs := flag.NewFlagSet("lab run", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil lab run SCENARIO...|all [-o DIR] [--duration D]\n\nOptions:")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.OutDir, "o", cfg.OutDir, "output directory for SCENARIO.pcap and SCENARIO.labels.json")
	fs.DurationVar(&cfg.Duration, "duration", 0, "length of each attack phase (0: each scenario's default, 5–40s, longconn's 7m, slow-scan's 10m; at most 10m, or 4h for the benign scenario alone: a false-alert rate per hour)")
	fs.DurationVar(&cfg.LeadIn, "lead-in", cfg.LeadIn, "benign traffic before the attack")
	fs.DurationVar(&cfg.LeadOut, "lead-out", cfg.LeadOut, "benign traffic after the attack")
	fs.BoolVar(&cfg.NoBackground, "no-background", false, "no benign background traffic")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the background's timing (0: random)")
	fs.BoolVar(&cfg.KeepWork, "keep", false, "keep the lab's temporary directory (configurations, process logs) for debugging, until the next lab run")
	quiet := fs.Bool("q", false, "no progress lines")
	names, err := labFlags(fs, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fs.Usage()
		return errUsage
	}
	scenarios, err := lab.Select(names)
	if err != nil {
		return err
	}
	if !*quiet {
		cfg.Log = os.Stderr
	}
	results, err := runScenarios(ctx, cfg, scenarios)
	for _, r := range results {
		printResult(r)
	}
	return err
}

// runScenarios runs scenarios in a lab that is always closed, also on
// error or Ctrl-C.
func runScenarios(ctx context.Context, cfg lab.Config, scenarios []*lab.Scenario) ([]lab.Result, error) {
	l, err := lab.New(cfg)
	if err != nil {
		return nil, err
	}
	results, err := l.Run(ctx, scenarios)
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, context.Canceled) {
		err = errors.New("lab: interrupted; the lab was torn down")
	}
	return results, err
}

func printResult(r lab.Result) {
	lb := r.Labels
	fmt.Printf("%-20s %7d packets %9.1f KB  attack %5.1fs  run %5.1fs  %s\n", r.Scenario, lb.Capture.Packets,
		float64(r.PcapBytes)/1024, lb.EndTS-lb.StartTS, r.Elapsed.Seconds(), r.PcapPath)
	for _, w := range r.Warnings {
		fmt.Printf("  warning: %s\n", w)
	}
}

func labClean() error {
	n, err := lab.Clean()
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Println("lab: nothing to clean")
	} else {
		fmt.Printf("lab: removed a stale lab (%d namespaces)\n", n)
	}
	return nil
}

func labExercise(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lab exercise", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil lab exercise SCENARIO|random [--replay DIR] [--difficulty D] [-o DIR] [--duration D]\n\n"+
			"Runs the scenario (or, with --replay, takes DIR/SCENARIO.pcap and its labels), withholds\n"+
			"the labels and asks the analyst's questions; the answers are scored against the labels.\n"+
			"\"random\" picks a scenario (of --difficulty, if given) and hides its name.\n\nOptions:")
		fs.PrintDefaults()
	}
	replay := fs.String("replay", "", "directory with SCENARIO.pcap and SCENARIO.labels.json to replay instead of running")
	difficulty := fs.String("difficulty", "", "with random: easy, medium or hard")
	out := fs.String("o", "", "directory for the new capture (default: a temporary directory, removed after)")
	duration := fs.Duration("duration", 0, "length of the attack phase (0: the scenario's default)")
	names, err := labFlags(fs, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		fs.Usage()
		return errUsage
	}
	s, err := exerciseScenario(names[0], *difficulty, *replay)
	if err != nil {
		return err
	}
	dir := *replay
	if dir == "" {
		if dir, err = exerciseRun(ctx, s, *out, *duration, names[0] != "random"); err != nil {
			return err
		}
		if *out == "" {
			defer os.RemoveAll(dir)
		}
	}
	labels, err := lab.ReadLabels(filepath.Join(dir, s.Name+".labels.json"))
	if err != nil {
		return err
	}
	pcap := filepath.Join(dir, s.Name+".pcap")
	var feeds []string
	for _, f := range labels.IntelFeeds {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		feeds = append(feeds, f)
	}
	if names[0] == "random" {
		// The names of the capture and of its feeds' directory would
		// give the answer away.
		hidden, hiddenFeeds, cleanup, err := hideName(pcap, feeds)
		if err != nil {
			return err
		}
		defer cleanup()
		pcap, feeds = hidden, hiddenFeeds
	}
	ex := lab.Exercise{Labels: labels, Pcap: pcap, Feeds: feeds, Location: time.Local}
	_, err = ex.Run(os.Stdin, os.Stdout)
	return err
}

// exerciseScenario resolves the exercise's scenario; "random" draws one,
// among those replayable from replayDir when it is given.
func exerciseScenario(name, difficulty, replayDir string) (*lab.Scenario, error) {
	if name != "random" {
		return lab.Lookup(name)
	}
	var pool []*lab.Scenario
	for _, s := range lab.Scenarios() {
		if difficulty != "" && string(s.Difficulty) != difficulty {
			continue
		}
		if replayDir != "" {
			if _, err := os.Stat(filepath.Join(replayDir, s.Name+".labels.json")); err != nil {
				continue
			}
		}
		pool = append(pool, s)
	}
	if len(pool) == 0 {
		return nil, fmt.Errorf("lab: no scenario to draw (difficulty %q, replay %q)", difficulty, replayDir)
	}
	return pool[rand.IntN(len(pool))], nil
}

// hideName copies the capture, and its intel feeds into feeds/, to a
// temporary directory under names that say nothing of the scenario.
func hideName(pcap string, feeds []string) (hidden string, hiddenFeeds []string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "vigil-exercise-")
	if err != nil {
		return "", nil, nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	copyTo := func(src, dst string) error {
		b, err := os.ReadFile(src)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(dst), 0o755)
		}
		if err == nil {
			err = os.WriteFile(dst, b, 0o644)
		}
		return err
	}
	hidden = filepath.Join(dir, "exercise.pcap")
	err = copyTo(pcap, hidden)
	for _, f := range feeds {
		if err != nil {
			break
		}
		dst := filepath.Join(dir, "feeds", filepath.Base(f))
		err = copyTo(f, dst)
		hiddenFeeds = append(hiddenFeeds, dst)
	}
	if err != nil {
		cleanup()
		return "", nil, nil, err
	}
	return hidden, hiddenFeeds, cleanup, nil
}

// exerciseRun runs a scenario for an exercise, quietly (the progress lines
// would give the answers away), and returns the directory of its capture.
func exerciseRun(ctx context.Context, s *lab.Scenario, out string, d time.Duration, reveal bool) (string, error) {
	if out == "" {
		tmp, err := os.MkdirTemp("", "vigil-exercise-")
		if err != nil {
			return "", err
		}
		out = tmp
	}
	cfg := lab.DefaultConfig()
	cfg.OutDir, cfg.Duration = out, d
	// A longer lead-in and lead-out hide the attack's start and end among
	// benign traffic.
	cfg.LeadIn, cfg.LeadOut = 8*time.Second, 6*time.Second
	name := s.Name
	if !reveal {
		name = "a random scenario"
	}
	fmt.Printf("Running %s (%s) in the lab; this takes a minute…\n", name, s.Difficulty)
	if _, err := runScenarios(ctx, cfg, []*lab.Scenario{s}); err != nil {
		return "", err
	}
	return out, nil
}
