package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/costs"
	"github.com/vigil-nsm/vigil/internal/detect"
	"github.com/vigil-nsm/vigil/internal/hugeheap"
	"github.com/vigil-nsm/vigil/internal/insight"
	"github.com/vigil-nsm/vigil/internal/optin"
	"github.com/vigil-nsm/vigil/internal/periodic"
	"github.com/vigil-nsm/vigil/internal/serve"
	"github.com/vigil-nsm/vigil/internal/synth"
)

func runAnalyze(ctx context.Context, args []string) error {
	cfg := analyze.DefaultConfig()
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil analyze [-o DIR] [options] INPUT...\n       vigil analyze [-o DIR] [options] -i IFACE [-i IFACE…] [--fanout N] [--duration D]\n\n"+
			"INPUT is a pcap or pcapng file (gzip too), a Zeek (TSV or JSON) or Suricata EVE log, a directory of\n"+
			"them (a Zeek log archive: its logs are read in time order), or - for stdin.\n"+
			"With -i Vigil captures live (root or CAP_NET_RAW) until Ctrl-C or --duration, then flushes every record.\n"+
			"Capture files of 64 MiB or more are read with read(2) or mapped into memory, whichever a few-millisecond trial on their\n"+
			"first 16 MiB finds cheaper on this host; VIGIL_MMAP=0 reads every file, VIGIL_MMAP=1 maps every one of 256 KiB or more (not gzip, not pipes).\n"+
			"VIGIL_HUGEPAGES=1 asks for transparent huge pages where an analysis of files grows its heap (cheaper on some hosts, dearer on others).\n\nOptions:")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.OutDir, "o", cfg.OutDir, "output directory for the logs (conn.log, dns.log …), alerts, incidents and the inventory")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "flow workers (0: one per CPU; 1: the whole analysis in one goroutine)")
	fs.IntVar(&cfg.MaxFlows, "max-flows", cfg.MaxFlows, "cap on tracked connections (oldest evicted beyond it)")
	fs.BoolVar(&cfg.Flow.IgnoreChecksums, "C", false, "ignore IPv4 header and transport checksums (like zeek -C; for captures made with checksum offload or rewritten)")
	fs.BoolVar(&cfg.NoApp, "no-app", false, "connections only: no application-layer logs (dns, http, ssl …)")
	fs.BoolVar(&cfg.Midstream, "midstream", false, "also parse protocols on TCP connections whose start was not captured (Zeek does not)")
	fs.BoolVar(&cfg.DecodeOnly, "decode-only", false, "only read and decode (benchmark of the practical limit)")
	noDetect := fs.Bool("no-detect", false, "no detection engine (alerts.log, incidents.log); the IPv6 monitor still runs")
	noInsight := fs.Bool("no-insight", false, "records only: no detection, IPv6 monitor or inventory")
	noAssets := fs.Bool("no-assets", false, "no asset inventory (assets.log); detection and the IPv6 monitor still run")
	eve := fs.String("eve", "", "also write alerts as Suricata EVE JSON to this file")
	detectConfig := fs.String("detect-config", "", "detection config file (JSON; thresholds, allowlists, intel feeds); see docs/DETECTION.md")
	detectState := fs.String("detect-state", "", "load the detectors' long-memory state (beacons, upload baselines, slow scans) from this file if it exists, and save it there at the end: a series of captures analysed one by one")
	var internal networks
	fs.Var(&internal, "internal", internalUsage)
	quiet := fs.Bool("q", false, "no summary and no progress bar")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	memProfile := fs.String("memprofile", "", "write an allocation profile to this file at the end (for performance work)")
	fs.BoolVar(&cfg.Costs, "costs", false, "time the inventory, the IPv6 monitor, the engine and each detector per log and print where their time went (a few tens of ns more a record and part)")
	var lf liveFlags
	lf.register(fs)
	duration := fs.Duration("duration", 0, "live: stop after this long (default: until Ctrl-C)")
	logsEvery := fs.Duration("logs-every", time.Minute, "live: rewrite assets.log and ipv6.log this often with the inventory and IPv6 posture as they stand")
	inputs, err := parseInterspersed(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if (len(inputs) == 0) == (len(lf.ifaces) == 0) {
		if len(inputs) > 0 {
			fmt.Fprintln(os.Stderr, "vigil analyze: give inputs or interfaces (-i), not both")
			return errUsage
		}
		fs.Usage()
		fmt.Fprintln(os.Stderr, "\nvigil analyze: no INPUT given (a capture, a log, a directory of them, or - for stdin) and no -i IFACE")
		return errUsage
	}
	var groups []*live.Group
	if len(lf.ifaces) == 0 {
		adviseHugeHeap()
		tuneBatchGC()
	}
	if len(lf.ifaces) > 0 {
		if cfg.DecodeOnly {
			return errors.New("--decode-only reads capture files only")
		}
		lcfgs, err := lf.configs()
		if err != nil {
			return err
		}
		if groups, err = openLive(lcfgs); err != nil {
			return err
		}
		defer closeLive(groups)
		if *duration > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *duration)
			defer cancel()
		}
		if !*quiet {
			fmt.Fprintf(os.Stderr, "Capturing on %s (%d ring(s) each); Ctrl-C stops and writes every record\n", strings.Join(lf.ifaces, ", "), lf.fanout)
		}
	}
	if !*quiet && isTerminal(os.Stderr) {
		cfg.Progress = os.Stderr
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *memProfile != "" {
		defer writeMemProfile(*memProfile)
	}
	cfg.SiteNets = siteNetworks(*detectConfig, internal)
	if err := analyze.Check(cfg, inputs); err != nil {
		return err // before insight.New truncates alerts.log and the others
	}
	runStart := time.Now()
	if !cfg.DecodeOnly {
		forgetStaleLogs(cfg.OutDir)
		defer noteRunLogs(cfg.OutDir, runStart, logsIn(cfg.OutDir))
	}
	if d := filepath.Dir(*eve); *eve != "" && !sameDir(d, cfg.OutDir) { // the output directory is made
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return fmt.Errorf("--eve %s: its directory does not exist", *eve)
		}
	}
	var set *insight.Set
	if !*noInsight && !cfg.DecodeOnly {
		icfg, err := insightConfig(*detectConfig, *eve, *noDetect, *noAssets, internal)
		if err != nil {
			return err
		}
		icfg.Costs = cfg.Costs
		if *detectState != "" {
			icfg.State = detect.StateFile{Path: *detectState, Version: version,
				Log: func(msg string) { fmt.Fprintf(os.Stderr, "vigil: %s\n", msg) }}
			if len(groups) > 0 {
				icfg.State.Every = 5 * time.Minute
			}
		}
		if len(groups) > 0 {
			icfg.Live = true // incidents written as they grow
			if *detectConfig == "" || !configSets(*detectConfig, "aggregate") {
				icfg.Detect.Aggregate = detect.LiveAggregate() // alerts while the capture runs
			}
		}
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return fmt.Errorf("create output directory: %w", err)
		}
		if set, err = insight.New(icfg, cfg.OutDir); err != nil {
			return err
		}
		cfg.Consumers = set.Consumers()
	}
	var sum *analyze.Summary
	if groups != nil {
		var srcs []capture.Source
		for _, g := range groups {
			srcs = append(srcs, g.Sources()...)
		}
		stop := periodic.Run(*logsEvery, func() {
			if set != nil {
				_ = set.WriteLogs() // Close writes them again, and reports
			}
		})
		sum, err = analyze.RunLive(ctx, cfg, srcs)
		stop()
		err = errors.Join(err, closeLive(groups))
	} else {
		sum, err = analyze.Run(ctx, cfg, inputs)
	}
	if set != nil {
		err = errors.Join(err, set.Close())
	}
	if sum != nil && !*quiet {
		if cfg.DecodeOnly {
			fmt.Printf("decode-only: %d packets in %s (%.0f pkt/s)\n", sum.Packets, sum.Elapsed.Round(time.Millisecond),
				float64(sum.Packets)/sum.Elapsed.Seconds())
			sum.PrintReading(os.Stdout)
		} else {
			sum.Print(os.Stdout)
			if set != nil {
				set.PrintSummary(os.Stdout)
			}
			printCosts(os.Stdout, sum, set)
			fmt.Printf("Logs      %s\n", filepath.Join(cfg.OutDir, "*.log"))
		}
	}
	if err != nil && sum != nil && !cfg.DecodeOnly {
		return fmt.Errorf("%w (the records read were written to %s)", err, cfg.OutDir)
	}
	return err
}

// printCosts prints what --costs timed: the consumers' calls by log (the
// engine's include its detectors'), each detector's, and the parts' Close.
func printCosts(w io.Writer, sum *analyze.Summary, set *insight.Set) {
	entries := slices.Clone(sum.Costs)
	if set != nil {
		entries = append(entries, set.Costs()...)
	}
	costs.Sort(entries)
	costs.Print(w, entries, 40)
	if slices.ContainsFunc(entries, func(e costs.Entry) bool { return e.Part == "detect" }) {
		fmt.Fprintln(w, "  (detect: the engine with its detectors; detect/NAME: one detector's share of it)")
	}
}

// configSets reports whether the JSON config file at path (already
// loaded without error) sets the top-level key.
func configSets(path, key string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, ok := top[key]
	return ok
}

// insightConfig builds the understanding stage's config from the flags.
// The site's networks (the detection config's internal_networks, when it
// sets them, and --internal) are the detectors' internal networks and
// the inventory's local ones alike: a campus with public addresses lists
// them once.
func insightConfig(detectConfig, eve string, noDetect, noAssets bool, internal networks) (insight.Config, error) {
	cfg := insight.DefaultConfig()
	if detectConfig != "" {
		d, err := detect.LoadConfig(detectConfig)
		if err != nil {
			return cfg, err
		}
		cfg.Detect, cfg.IPv6 = d, d.IPv6
		if configSets(detectConfig, "internal_networks") {
			cfg.Assets.LocalNets = addNetworks(cfg.Assets.LocalNets, d.InternalNetworks)
		}
	}
	cfg.Detect.InternalNetworks = addNetworks(cfg.Detect.InternalNetworks, internal)
	cfg.Assets.LocalNets = addNetworks(cfg.Assets.LocalNets, internal)
	cfg.EVE, cfg.NoDetect, cfg.NoAssets = eve, noDetect, noAssets
	return cfg, nil
}

// siteNetworks are the site's own networks, --internal and the detection
// config's internal_networks when it sets them: what conn.log's
// local_orig/local_resp and ssh.log's direction call local beside the
// private ranges, as Zeek's Site::local_nets.
func siteNetworks(detectConfig string, internal networks) []string {
	nets := append([]string(nil), internal...)
	if detectConfig != "" && configSets(detectConfig, "internal_networks") {
		if d, err := detect.LoadConfig(detectConfig); err == nil {
			nets = append(nets, d.InternalNetworks...)
		}
	}
	return nets
}

const internalUsage = "the site's own networks (CIDR or address; comma-separated or repeated), beside the private ranges: " +
	"what detection calls internal (beacons, exfiltration, long connections look at internal → external), the asset inventory's hosts, " +
	"and what conn.log's local_orig/local_resp and ssh.log's direction call local"

// networks is the --internal flag: CIDRs (a bare address is its /32 or
// /128).
type networks []string

func (n *networks) String() string { return strings.Join(*n, ",") }

func (n *networks) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return fmt.Errorf("%q is not a network (CIDR such as 192.0.2.0/24) or an address", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		*n = append(*n, p.Masked().String())
	}
	return nil
}

// addNetworks returns list with the networks of add it lacks appended.
func addNetworks(list, add []string) []string {
	out := slices.Clone(list)
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeMemProfile writes the allocations made so far (pprof's allocs
// profile: alloc_space and alloc_objects by call site).
func writeMemProfile(path string) {
	// The allocs profile counts what the last finished collection saw:
	// collect now so that it covers the whole run.
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil: memory profile: %v\n", err)
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func runSample(ctx context.Context, args []string) error {
	cfg := synth.DefaultConfig()
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil sample [-o FILE] [--packets N] [--flows N] [--seed S] [--flood]\n\n"+
			"Writes a deterministic synthetic capture of mixed traffic (IPv4 and IPv6, TCP, UDP, ICMP, DNS, HTTP,\n"+
			"TLS, SSH, VLANs, tunnels, fragments): the benchmark's input. With --flood, a capture of attack\n"+
			"traffic instead: a SYN flood from spoofed random IPv4 and IPv6 sources and DNS queries for random\n"+
			"names (10,000 packets a second; --flows does not apply).\n\nOptions:")
		fs.PrintDefaults()
	}
	out := fs.String("o", "sample.pcap", "output capture file")
	fs.IntVar(&cfg.Packets, "packets", cfg.Packets, "approximate number of packets")
	fs.IntVar(&cfg.Flows, "flows", cfg.Flows, "number of flows")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (same seed, same capture)")
	flood := fs.Bool("flood", false, "write attack traffic (spoofed SYN flood, random DNS names) instead of the mix")
	if err := parseFlags(fs, args); err != nil {
		return usageErr(err)
	}
	if err := noArgs(fs, "the capture is written to -o FILE"); err != nil {
		return err
	}
	write := func(w io.Writer) (synth.Stats, error) { return synth.Write(w, cfg) }
	if *flood {
		write = func(w io.Writer) (synth.Stats, error) {
			return synth.WriteFlood(w, synth.FloodConfig{Seed: cfg.Seed, Packets: cfg.Packets})
		}
	}
	st, err := writeSample(*out, write)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d packets, %d flows, %d bytes\n", *out, st.Packets, st.Flows, st.Bytes)
	return nil
}

func writeSample(path string, write func(io.Writer) (synth.Stats, error)) (synth.Stats, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return synth.Stats{}, fmt.Errorf("sample: %w", err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return synth.Stats{}, fmt.Errorf("sample: %w", err)
	}
	st, err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("sample: write %s: %w", path, err)
	}
	return st, nil
}

// runDemo makes a small sample capture, analyses it, then serves the
// results (and the lab's labelled captures, when run from the repository)
// on the dashboard: the first command a newcomer runs.
func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: vigil demo [-o DIR] [--serve=false] [--listen ADDR]\n\n"+
			"Writes a synthetic capture, analyses it (logs, alerts, inventory in DIR), then serves the dashboard\n"+
			"on it and on the lab's attack captures (from the repository's testdata/lab).\n\nOptions:")
		fs.PrintDefaults()
	}
	dir := fs.String("o", "vigil-demo", "directory for the sample capture, the logs and the server's data")
	serveIt := fs.Bool("serve", true, "then start the dashboard on the results (Ctrl-C stops it)")
	listen := fs.String("listen", "127.0.0.1:8080", "dashboard address")
	if err := parseFlags(fs, args); err != nil {
		return usageErr(err)
	}
	if err := noArgs(fs, "the demo's directory is -o DIR"); err != nil {
		return err
	}
	if *serveIt {
		if err := checkListen(*listen); err != nil {
			return err
		}
	}
	cfg := synth.DefaultConfig()
	cfg.Packets, cfg.Flows = 50000, 3000
	pcap := filepath.Join(*dir, "sample.pcap")
	st, err := writeSample(pcap, func(w io.Writer) (synth.Stats, error) { return synth.Write(w, cfg) })
	if err != nil {
		return err
	}
	fmt.Printf("Sample    %s: %d synthetic packets in %d flows\n", pcap, st.Packets, st.Flows)
	acfg := analyze.DefaultConfig()
	acfg.OutDir = *dir
	set, err := insight.New(insight.DefaultConfig(), *dir)
	if err != nil {
		return err
	}
	acfg.Consumers = set.Consumers()
	sum, err := analyze.Run(ctx, acfg, []string{pcap})
	if err = errors.Join(err, set.Close()); err != nil {
		return err
	}
	sum.Print(os.Stdout)
	set.PrintSummary(os.Stdout)
	fmt.Printf("Logs      %s\n", filepath.Join(*dir, "*.log"))
	if !*serveIt {
		fmt.Println("Next      vigil analyze -o out testdata/lab/mirai.pcap   (a labelled attack from the lab: alerts, incidents)")
		return nil
	}
	return serveDemo(ctx, filepath.Join(*dir, "data"), *listen, pcap)
}

// serveDemo starts the server with the sample and the lab's captures in
// its inbox.
func serveDemo(ctx context.Context, dataDir, listen string, sample string) error {
	scfg := serve.DefaultConfig()
	scfg.DataDir, scfg.Listen = dataDir, listen
	wireInsight(&scfg, insight.DefaultConfig(), true)
	inbox := filepath.Join(dataDir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	lab, _ := filepath.Glob(filepath.Join("testdata", "lab", "*.pcap"))
	if len(lab) == 0 {
		fmt.Println("Lab       the lab's attack captures (testdata/lab) are not here: run the demo from the repository to see them")
	}
	queued := 0
	for _, f := range append([]string{sample}, lab...) {
		if _, err := os.Stat(filepath.Join(dataDir, "done", filepath.Base(f))); err == nil {
			continue // ingested by an earlier demo: not stored twice
		}
		if err := copyFile(f, filepath.Join(inbox, filepath.Base(f))); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		queued++
	}
	srv, err := serve.New(scfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("Dashboard http://%s/  (%s being ingested; the admin token is in %s, printed below when made; Ctrl-C stops)\n",
		listen, plural(queued, "capture"), filepath.Join(dataDir, "tokens.json"))
	return srv.Run(ctx)
}

// plural is "1 capture", "2 captures".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// batchGCPercent is the collector's target (GOGC) for an analysis of
// files once its heap has passed batchHeapFloor. Its heap is mostly
// long-lived state (flow tables, the inventory, the detectors' windows),
// which at the default target of 100 the collector marks seven times over
// the benchmark capture; at 200 it marks it three times: the collector's
// CPU falls from 53 to 13 ms (about 4% of the run) for 20% more peak
// memory (94 → 113 MB). Live capture keeps the default: it runs for days
// and its memory matters more.
const batchGCPercent = 200

// batchHeapFloor is the heap below which an analysis of files does not
// collect at all: the collector's first cycle comes when the Go runtime's
// memory reaches it (a memory limit with the target off), and from then
// on batchGCPercent applies, without a limit. Collecting a smaller heap
// frees little (a run of the 2M-packet benchmark capture allocates 66 MB
// in all, and peaks at 90 MB of RSS with or without its three cycles) but
// costs their marking and the write barriers while they run: 3–6% of the
// run's CPU.
// In a container whose memory is limited (cgroup v2 memory.max), the
// floor is at most a quarter of the limit, so that garbage left for later
// never crowds out what the run needs.
const batchHeapFloor = 256 << 20

// cgroupMemoryMax is where the cgroup v2 memory limit is read.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// heapFloor is batchHeapFloor, or a quarter of the memory limit the file
// at path gives (a byte count; "max" or no file: no limit) when smaller.
func heapFloor(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return batchHeapFloor
	}
	limit, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || limit <= 0 {
		return batchHeapFloor
	}
	return min(batchHeapFloor, limit/4)
}

// adviseHugeHeap asks for huge pages where an analysis of files grows its
// heap, up to the heap floor (the heap the collector leaves alone), when
// VIGIL_HUGEPAGES=1 (hugePagesEnv) asks for it, and reports whether it
// did: fresh 4 KiB pages cost the kernel a fault each, but whether 2 MiB
// ones cost less depends on the host (see internal/hugeheap), so the
// default leaves the heap as the runtime maps it. Without the advice the
// analysis is only slower, so a failure is not reported.
func adviseHugeHeap() (advised bool) {
	if !optin.Wanted(hugePagesEnv) {
		return false
	}
	n, _ := hugeheap.Advise(int(heapFloor(cgroupMemoryMax)))
	return n > 0
}

// hugePagesEnv, set to anything but "" or "0", asks for the heap's
// huge-page advice.
const hugePagesEnv = "VIGIL_HUGEPAGES"

// tuneBatchGC sets the heap floor and then batchGCPercent, unless the
// user set GOGC or GOMEMLIMIT (with GOMEMLIMIT alone, batchGCPercent
// applies from the start).
func tuneBatchGC() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		debug.SetGCPercent(batchGCPercent)
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(heapFloor(cgroupMemoryMax))
	onFirstGC(func() {
		debug.SetGCPercent(batchGCPercent)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}

// onFirstGC is afterFirstGC; a test replaces it to see the settings on
// each side of the first cycle without racing the collector.
var onFirstGC = afterFirstGC

// afterFirstGC calls fn (on the runtime's cleanup goroutine) once the
// collector has finished its next cycle: it is the cleanup of an object
// made here and dropped at once. The object holds a pointer, so that it
// is not put in a tiny-allocation block with others that could keep it.
func afterFirstGC(fn func()) {
	type sentinel struct {
		p *int
		_ [2]int
	}
	runtime.AddCleanup(&sentinel{p: new(int)}, func(fn func()) { fn() }, fn)
}

// parseInterspersed parses args with fs, flags anywhere among the
// positional arguments (`vigil analyze capture.pcap -o out`, as zeek -r
// users write), and returns the positional ones in order. "-" is a
// positional argument (standard input); after "--" every argument is.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(args) > 0 && len(rest) > 0 && len(args)-len(rest) > 0 && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		i := 0
		for i < len(rest) && (rest[i] == "-" || !strings.HasPrefix(rest[i], "-")) {
			i++
		}
		pos = append(pos, rest[:i]...)
		if i == len(rest) {
			return pos, nil
		}
		args = rest[i:]
	}
}

// sameDir tells whether paths a and b name the same directory, written
// alike or not (relative, absolute).
func sameDir(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

// runLogsFile, in an output directory, lists the logs the last run wrote
// there.
const runLogsFile = ".vigil-logs"

// forgetStaleLogs removes the logs the previous run wrote into dir (as
// runLogsFile lists them), so that the directory holds this run's logs
// only: a log this run does not write (its capture had no DHCP) would
// otherwise stand beside them, its records taken for this capture's.
// Files Vigil did not write there are left alone.
func forgetStaleLogs(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, runLogsFile))
	if err != nil {
		return
	}
	for _, name := range strings.Fields(string(b)) {
		if filepath.Base(name) == name && strings.HasSuffix(name, ".log") {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// logsIn returns the .log files in dir with their modification times
// (none if dir does not exist).
func logsIn(dir string) map[string]time.Time {
	entries, _ := os.ReadDir(dir)
	logs := map[string]time.Time{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		var mod time.Time
		if info, err := e.Info(); err == nil {
			mod = info.ModTime()
		}
		logs[e.Name()] = mod
	}
	return logs
}

// noteRunLogs lists in dir's runLogsFile the logs this run wrote: the .log
// files not in before (those in dir at start, with their times), those
// whose time changed since and those written since start. A log created
// or rewritten at start-up is not judged by its time alone: the kernel
// stamps files from a coarse clock, up to a tick behind time.Now, and a
// log written within that tick (alerts.log, when the start-up is quick)
// would look older than start; one that was there before (left by a run
// that was killed before it listed its logs) is listed when its time
// changed.
func noteRunLogs(dir string, start time.Time, before map[string]time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var names []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		if was, ok := before[e.Name()]; ok && info.ModTime().Before(start) && info.ModTime().Equal(was) {
			continue // there before, untouched
		}
		names = append(names, e.Name())
	}
	_ = os.WriteFile(filepath.Join(dir, runLogsFile), []byte(strings.Join(names, "\n")+"\n"), 0o644)
}
