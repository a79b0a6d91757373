// Command vigil is Vigil's one binary: it perceives a network from captures
// and writes Zeek-compatible logs. cmd/ only wires; the work is in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = []command{
	{"analyze", "analyse captures or logs into Zeek-style logs, alerts, incidents, the inventory and a summary", runAnalyze},
	{"assets", "print the asset inventory of an analysis (DIR/assets.log)", runAssets},
	{"demo", "make a sample capture and analyse it (a first look)", runDemo},
	{"eval", "score the detectors against labelled lab captures", runEval},
	{"lab", "cyber range: run attack scenarios in namespaces; labelled captures, exercises", runLab},
	{"sample", "write a synthetic mixed-traffic capture", runSample},
	{"serve", "run the situation-awareness server: inbox ingest, NetFlow, store, API and dashboard", runServe},
	{"version", "print the version", func(context.Context, []string) error {
		fmt.Println("vigil", version)
		return nil
	}},
}

func usage() {
	fmt.Fprintln(os.Stderr, "vigil — network security situation awareness\n\nUsage: vigil COMMAND [options]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'vigil COMMAND -h' for a command's options.")
}

// usageErr is what a command returns when its flags do not parse: nil
// for -h (the usage was asked for and printed), else errUsage.
func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return errUsage
}

// errUsage marks an error the user fixes by reading the usage text.
var errUsage = errors.New("usage")

// parseFlags parses a command's options. A mistake gets a short answer on
// stderr: what is wrong, the option meant when one is close to a mistyped
// name, and a pointer to -h — the flag package would print the whole
// option list, with the error scrolled away above it. -h prints the
// usage. The error is flag.ErrHelp or what usageErr makes errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
	default:
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			msg = "unknown option -" + name
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			if s := closest(strings.TrimLeft(name, "-"), names); s != "" {
				msg += fmt.Sprintf(" (did you mean --%s?)", s)
			}
		}
		fmt.Fprintf(os.Stderr, "vigil %s: %s\nRun 'vigil %s -h' for the options.\n", fs.Name(), msg, fs.Name())
	}
	return err
}

// noArgs refuses arguments a command takes no positional ones: `vigil
// sample mine.pcap` would otherwise write sample.pcap and say nothing of
// mine.pcap. instead says which option the argument was likely meant for.
func noArgs(fs *flag.FlagSet, instead string) error {
	if fs.NArg() == 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "vigil %s: unexpected argument %q (%s)\nRun 'vigil %s -h' for the options.\n", fs.Name(), fs.Arg(0), instead, fs.Name())
	return errUsage
}

// closest is the name among names nearest to s by edit distance, when
// it is near enough to be a typo of it (at most 2 edits, fewer than half
// of s); else "".
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < bestD && 2*d < len(s) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func main() {
	if len(os.Args) >= 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		os.Args[1] = "version"
	}
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the first Ctrl-C stops the work in order; a second one quits at once
	}()
	for _, c := range commands {
		if c.name == os.Args[1] {
			if err := c.run(ctx, os.Args[2:]); err != nil {
				if !errors.Is(err, errUsage) {
					fmt.Fprintln(os.Stderr, "vigil:", err)
				}
				os.Exit(1)
			}
			return
		}
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	if s := closest(os.Args[1], names); s != "" {
		fmt.Fprintf(os.Stderr, "vigil: unknown command %q (did you mean %q?)\n\n", os.Args[1], s)
	} else {
		fmt.Fprintf(os.Stderr, "vigil: unknown command %q\n\n", os.Args[1])
	}
	usage()
	os.Exit(2)
}
