// Command vigil is Vigil's one binary: it perceives a network from captures
// and writes Zeek-compatible logs. cmd/ only wires; the work is in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
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
	fmt.Fprintf(os.Stderr, "vigil: unknown command %q\n\n", os.Args[1])
	usage()
	os.Exit(2)
}
