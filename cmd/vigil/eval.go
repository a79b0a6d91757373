package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/detect"
	"github.com/vigil-nsm/vigil/internal/insight"
)

// runEval scores the detectors against labelled lab captures: each
// SCENARIO.pcap of the directory is analysed and its alerts compared with
// SCENARIO.labels.json.
func runEval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil eval --labels DIR [-o WORKDIR]\n\nDIR holds SCENARIO.pcap and SCENARIO.labels.json pairs (vigil lab run writes them); a scenario whose labels name intel_feeds (files relative to DIR) is analysed with those threat-intelligence feeds loaded, the others with none; a scenario whose labels carry a detect section (detector thresholds, as in the detection config: longconn's) is analysed with it applied over the detection config.\n\nOptions:")
		fs.PrintDefaults()
	}
	labels := fs.String("labels", "testdata/lab", "directory of SCENARIO.pcap + SCENARIO.labels.json")
	work := fs.String("o", "", "where each scenario's logs go (default: a temporary directory)")
	detectConfig := fs.String("detect-config", "", "detection config file (JSON)")
	noChecksums := fs.Bool("C", false, "ignore IPv4 header and transport checksums (captures taken with checksum offload or rewritten)")
	if err := parseFlags(fs, args); err != nil {
		return usageErr(err)
	}
	if err := noArgs(fs, "the labelled captures' directory is --labels DIR"); err != nil {
		return err
	}
	dir := *work
	if dir == "" {
		tmp, err := os.MkdirTemp("", "vigil-eval-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	table, err := detect.EvalCaptures(*labels, dir, func(pcap, outDir string, in detect.Inputs) (string, error) {
		return analyzeWithInsight(ctx, pcap, outDir, *detectConfig, *noChecksums, in)
	})
	if err != nil {
		return fmt.Errorf("%w (give --labels DIR: a directory of SCENARIO.pcap and SCENARIO.labels.json, such as the repository's testdata/lab or what vigil lab run writes)", err)
	}
	return table.Write(os.Stdout)
}

// analyzeWithInsight runs the whole analysis of one capture quietly and
// returns the path of its alerts.log. in are the scenario's inputs from
// its labels: intel feeds, loaded beside those of the detection config,
// and a detection override, applied over the detection config.
func analyzeWithInsight(ctx context.Context, pcap, outDir, detectConfig string, noChecksums bool, in detect.Inputs) (string, error) {
	icfg, err := insightConfig(detectConfig, "", false, false, nil)
	if err != nil {
		return "", err
	}
	if err := icfg.Detect.Override(in.Detect); err != nil {
		return "", err
	}
	icfg.Detect.Intel.Feeds = append(slices.Clone(icfg.Detect.Intel.Feeds), in.Feeds...)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	set, err := insight.New(icfg, outDir)
	if err != nil {
		return "", err
	}
	cfg := analyze.DefaultConfig()
	cfg.OutDir = outDir
	cfg.Workers = 1 // records in one order: the same alerts on every run
	cfg.Flow.IgnoreChecksums = noChecksums
	cfg.Consumers = set.Consumers()
	_, err = analyze.Run(ctx, cfg, []string{pcap})
	err = errors.Join(err, set.Close())
	return filepath.Join(outDir, "alerts.log"), err
}
