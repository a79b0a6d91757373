package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/detect"
	"github.com/vigil-nsm/vigil/internal/insight"
	"github.com/vigil-nsm/vigil/internal/serve"
)

// runServe runs the situation-awareness server: inbox ingest, NetFlow,
// the store, the situation model, the API and the dashboard.
func runServe(ctx context.Context, args []string) error {
	cfg := serve.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil serve [options]\n\nDrop captures (pcap, pcapng, gz) or Zeek logs into DATA/inbox; open the URL printed.\n"+
			"With -i IFACE the server also captures live from the interface as long as it runs (root or CAP_NET_RAW).\n\nOptions:")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (store, tokens, inbox, runs, done, failed)")
	fs.StringVar(&cfg.Inbox, "inbox", "", "inbox directory (default DATA/inbox)")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "HTTP address (localhost only unless told otherwise)")
	fs.StringVar(&cfg.NetFlow, "netflow", "", "UDP address for NetFlow v5/v9, IPFIX and sFlow, e.g. :2055 (default off)")
	fs.DurationVar(&cfg.Retention.Raw, "retention", cfg.Retention.Raw, "how long raw records are kept")
	fs.DurationVar(&cfg.Retention.Minute, "retention-minutes", cfg.Retention.Minute, "how long 1-minute rollups are kept")
	fs.DurationVar(&cfg.Retention.Hour, "retention-hours", cfg.Retention.Hour, "how long 1-hour rollups, alerts and incidents are kept")
	fs.IntVar(&cfg.Analyze.Workers, "workers", cfg.Analyze.Workers, "flow workers per ingest run (0: one per CPU)")
	fs.DurationVar(&cfg.SituationEvery, "situation-every", time.Minute, "how often the situation model is recomputed")
	detectConfig := fs.String("detect-config", "", "detection config file (JSON; thresholds, allowlists, intel feeds, IPv6 monitor) for every run; see docs/DETECTION.md")
	fs.StringVar(&cfg.DetectState, "detect-state", "", "the live capture's detection state file, kept across restarts (beacons, upload baselines, slow scans); off: none (default DATA/detect.state)")
	fs.DurationVar(&cfg.DetectStateEvery, "detect-state-every", cfg.DetectStateEvery, "how often the live capture's detection state is saved (and when it stops)")
	var internal networks
	fs.Var(&internal, "internal", internalUsage)
	var lf liveFlags
	lf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageErr(err)
	}
	if err := noArgs(fs, "the data directory is --data DIR; captures go into its inbox"); err != nil {
		return err
	}
	if len(lf.ifaces) > 0 {
		lcfgs, err := lf.configs()
		if err != nil {
			return err
		}
		cfg.Live = lcfgs
	}
	cfg.Analyze.SiteNets = siteNetworks(*detectConfig, internal)
	base, err := insightConfig(*detectConfig, "", false, false, internal)
	if err != nil {
		return err
	}
	liveAggregate := *detectConfig == "" || !configSets(*detectConfig, "aggregate")
	wireInsight(&cfg, base, liveAggregate)
	if err := checkListen(cfg.Listen); err != nil {
		return err
	}
	srv, err := serve.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	return srv.Run(ctx)
}

// checkListen tells, before any work, whether the server could listen on
// addr (a port another program holds is the usual failure).
func checkListen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (give another address with --listen, e.g. 127.0.0.1:8081)", addr, err)
	}
	return l.Close()
}

// wireInsight runs the detection engine, the IPv6 monitor and the asset
// inventory on every ingest run, configured as base (--detect-config);
// alerts and incidents reach the store as they are written, the other
// logs (assets, ipv6) after Finish. Inbox runs are sequential, but the
// live capture's run (-i) goes on beside them: one Set per run, by output
// directory. The live run's alerts come as the capture runs
// (LiveAggregate) unless the config file sets its own aggregation, and
// its detectors' long memory is kept in the state file
// (cfg.DetectStatePath): loaded before its first record, saved every
// cfg.DetectStateEvery and when it ends, a restart of the server then
// carrying on what the last one began. Inbox runs are each of their own
// file, analysed as they come, with no state.
func wireInsight(cfg *serve.Config, base insight.Config, liveAggregate bool) {
	var mu sync.Mutex
	sets := map[string]*insight.Set{}
	cfg.Consumers = func(outDir string, records analyze.Consumer) ([]analyze.Consumer, error) {
		icfg := base
		icfg.Records = records // alerts and incidents stored as they come
		if isLiveRun(outDir) {
			icfg.Live = true // incidents written as they grow
			if liveAggregate {
				icfg.Detect.Aggregate = detect.LiveAggregate() // alerts while the capture runs
			}
			icfg.State = liveState(cfg)
		}
		s, err := insight.New(icfg, outDir)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		if !isLiveRun(outDir) {
			// Inbox runs are sequential: a set left from an earlier one
			// belongs to a run that failed before Finish.
			for dir, old := range sets {
				if !isLiveRun(dir) {
					old.Close()
					delete(sets, dir)
				}
			}
		}
		sets[outDir] = s
		return s.Consumers(), nil
	}
	cfg.Snapshot = func(outDir string, records analyze.Consumer) {
		mu.Lock()
		set := sets[outDir]
		mu.Unlock()
		if set != nil {
			set.Snapshot(records)
		}
	}
	cfg.Finish = func(outDir string) error {
		mu.Lock()
		set := sets[outDir]
		delete(sets, outDir)
		mu.Unlock()
		if set == nil {
			return nil
		}
		return set.Close()
	}
}

// isLiveRun tells the live capture's run directory (DATA/runs/N-live)
// from an inbox run's (DATA/runs/N-FILE).
func isLiveRun(outDir string) bool { return strings.HasSuffix(outDir, "-live") }

// liveState is the detection state file of a server's live run.
func liveState(cfg *serve.Config) detect.StateFile {
	path := cfg.DetectStatePath()
	if path == "" {
		return detect.StateFile{}
	}
	every := cfg.DetectStateEvery
	if every <= 0 {
		every = serve.DefaultConfig().DetectStateEvery
	}
	log := cfg.Log
	if log == nil {
		log = os.Stderr
	}
	return detect.StateFile{Path: path, Every: every, Resume: true, Version: version,
		Log: func(msg string) { fmt.Fprintf(log, "vigil serve: %s\n", msg) }}
}
