package analyze

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/defrag"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Run analyses inputs (files, directories or "-") and writes the logs into
// cfg.OutDir. Inputs that are Zeek logs (TSV or JSON) are read as records
// (logs.go). On a read error it still flushes every record produced so
// far and returns the summary together with the error.
func Run(ctx context.Context, cfg Config, inputs []string) (*Summary, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	captures, logs, notes, err := splitInputs(inputs, cfg.OutDir)
	if err != nil {
		return nil, err
	}
	if len(captures) == 0 && !cfg.DecodeOnly {
		return runLogs(ctx, cfg, inputs, logs)
	}
	// Large files are read or mapped, as a trial finds cheaper, unless
	// VIGIL_MMAP says which (capture.OptionsFromEnv): the goroutine that
	// reads them (runReader, decodeOnly) runs with SetPanicOnFault, and
	// workers get copies.
	src, err := capture.OpenWith(captures, capture.OptionsFromEnv())
	if err != nil {
		return nil, openError(err)
	}
	defer src.Close()
	if cfg.DecodeOnly {
		sum, err := decodeOnly(ctx, cfg, src, inputs)
		if sum != nil {
			sum.Reading = capture.ReadChoices(src)
		}
		return sum, err
	}
	p, err := newPipeline(cfg, src)
	if err != nil {
		return nil, err
	}
	if len(logs) > 0 {
		n, err := readLogs(ctx, logs, newLogSink(p.out, p.rd.stats), nil)
		p.logRecords = uint64(n)
		if err != nil {
			p.rd.noteInputError(err)
		}
	}
	sum, err := p.run(ctx, inputs)
	if sum != nil {
		sum.Notes = notes
		sum.Reading = capture.ReadChoices(src)
	}
	return sum, err
}

// runLogs analyses log files only: no packets, the records go to the
// output directory and the consumers.
// openError is capture.Open's error, with what inputs may be when one is
// not a capture.
func openError(err error) error {
	if ce := (*capture.Error)(nil); errors.As(err, &ce) && errors.Is(err, capture.ErrNotCapture) {
		hint := "inputs are pcap or pcapng captures, gzipped or not, Zeek logs with their #separator and #fields header, JSON logs or Suricata eve.json"
		if ce.File == "-" {
			hint = "standard input is read as a pcap or pcapng capture; give logs as files"
		}
		return fmt.Errorf("analyze: %w (%s)", err, hint)
	}
	return fmt.Errorf("analyze: %w", err)
}

// Check reports, before anything is written, what Run would refuse at
// once: inputs that are the output (CheckInputs), a bad config, inputs
// that are missing or neither captures nor logs, captures that cannot be
// opened. Standard input is not read. A caller that truncates logs of an
// earlier run (the understanding stage's) checks first, so that a typo
// does not wipe them.
func Check(cfg Config, inputs []string) error {
	if err := CheckInputs(inputs, cfg.OutDir); err != nil {
		return err
	}
	if err := cfg.normalize(); err != nil {
		return err
	}
	captures, _, _, err := splitInputs(inputs, cfg.OutDir)
	if err != nil {
		return err
	}
	var files []string
	for _, c := range captures {
		// Standard input, a named pipe (<(zcat x.pcap.gz)) or a device
		// can be read once only: Run reads them.
		if st, err := os.Stat(c); c != "-" && (err != nil || st.Mode().IsRegular() || st.IsDir()) {
			files = append(files, c)
		}
	}
	if len(files) == 0 {
		return nil
	}
	src, err := capture.Open(files)
	if err != nil {
		return openError(err)
	}
	return src.Close()
}

func runLogs(ctx context.Context, cfg Config, inputs, logs []string) (*Summary, error) {
	start := time.Now()
	out, err := newWriter(cfg.OutDir, cfg.Consumers, 0, false)
	if err != nil {
		return nil, err
	}
	if cfg.Costs {
		out.timeConsumers()
	}
	stats := newHostStats()
	n, readErr := readLogs(ctx, logs, newLogSink(out, stats), cfg.Progress)
	writeErr := out.close()
	s := &Summary{Inputs: inputs, Elapsed: time.Since(start), LogRecords: uint64(n), Records: sortedCounts(stats.records.counts())}
	s.InternalErrs = out.consumerPanics.Load()
	s.Costs = out.costEntries()
	return s, errors.Join(readErr, writeErr)
}

// pipeline is one run's wiring: readers → workers → writer. Offline there
// is one reader; a live run has one per capture ring (RunLive).
type pipeline struct {
	cfg     Config
	out     *writer
	rd      *reader   // the first reader (the only one offline)
	readers []*reader // every reader, each with its own decoder, defrag and tunnel table
	workers []*worker
	panics  atomic.Uint64
	// live: readers tick the workers' clocks (live.go).
	live bool
	// logRecords: records read from log inputs (Zeek TSV or JSON).
	logRecords uint64
}

func newPipeline(cfg Config, src capture.Source) (*pipeline, error) {
	return buildPipeline(cfg, []capture.Source{src}, false)
}

// buildPipeline wires one reader per source to cfg.Workers workers. With
// several readers every worker queue has several senders; the queues are
// closed once every reader has stopped (run).
func buildPipeline(cfg Config, srcs []capture.Source, live bool) (*pipeline, error) {
	var flushEvery time.Duration
	if live {
		flushEvery = time.Second
	}
	var out *writer
	var err error
	if cfg.Workers == 1 && len(srcs) == 1 && !live {
		out, err = newInlineWriter(cfg.OutDir, cfg.Consumers) // one goroutine does it all
	} else {
		out, err = newWriter(cfg.OutDir, cfg.Consumers, flushEvery, !live)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Costs {
		out.timeConsumers()
	}
	p := &pipeline{cfg: cfg, out: out, live: live}
	// Each reader holds one pending batch per worker; the queues hold
	// QueueDepth each, the workers one each (a live run's up to its
	// merge limit), and one more each keeps the readers from waiting on a
	// free batch.
	held := 1
	if live {
		held = heldLimit(len(srcs), cfg.QueueDepth)
	}
	free := make(chan *batch, cfg.Workers*(cfg.QueueDepth+held+len(srcs)))
	for i := 0; i < cap(free); i++ {
		free <- newBatch(cfg.BatchSize)
	}
	local, err := netset.ZeekLocal(cfg.SiteNets)
	if err != nil {
		return nil, fmt.Errorf("analyze: site networks: %w", err)
	}
	var shared *proto.Shared
	if !cfg.NoApp {
		shared = proto.NewShared()
		shared.Local = local
	}
	// The readers' sinks first: they are the first producers, whatever
	// the number of workers (order.go breaks ties by producer).
	readerStats := make([]*hostStats, len(srcs))
	readerSinks := make([]*logSink, len(srcs))
	for i := range srcs {
		readerStats[i] = newHostStats()
		readerSinks[i] = newLogSink(out, readerStats[i])
	}
	fcfg := cfg.Flow
	fcfg.Local = local
	fcfg.MaxFlows = max(cfg.MaxFlows/cfg.Workers, 1024)
	if live && fcfg.LongDurations == nil {
		// A live run writes connections still open to conn_long.log,
		// so one open for days is known (and judged) while it lasts.
		fcfg.LongDurations, fcfg.LongRepeat = flow.ConnLongDurations()
	}
	for i := 0; i < cfg.Workers; i++ {
		wk, err := newWorker(fcfg, out, cfg.QueueDepth, free, &p.panics, shared, cfg.Midstream)
		if err != nil {
			out.close()
			return nil, err
		}
		if live {
			wk.setLive(len(srcs), held)
		}
		wk.ordered = !live
		p.workers = append(p.workers, wk)
	}
	netWeirds := new([256]atomic.Uint32)
	for i, src := range srcs {
		fr, err := defrag.New(cfg.Defrag)
		if err != nil {
			out.close()
			return nil, fmt.Errorf("analyze: defrag: %w", err)
		}
		rd := &reader{
			src: src, dec: decode.NewDecoder(cfg.Decode), defrag: fr,
			sink: readerSinks[i], stats: readerStats[i], workers: p.workers, free: free,
			withPayload: !cfg.NoApp, inline: cfg.Workers == 1 && !live, facts: len(cfg.Consumers) > 0,
			netWeirds: netWeirds, idx: int32(i), live: live, ordered: !live,
			ignoreChecksums: cfg.Flow.IgnoreChecksums,
		}
		if rd.ordered {
			rd.sweepSeq = sweepFrames
			rd.nextSweepSeq.Store(sweepFrames)
			out.sweepers = append(out.sweepers, &rd.nextSweepSeq)
		}
		tcfg := cfg.Flow
		tcfg.MaxFlows = 1 << 16
		tcfg.Local = local
		// Tunnels' outer connections (a VXLAN mirror, a GTP-U or Teredo
		// tunnel, open for days) go to conn_long.log as others do.
		tcfg.LongDurations, tcfg.LongRepeat = fcfg.LongDurations, fcfg.LongRepeat
		if rd.tunnels, err = flow.NewTable(tcfg, (*tunnelConns)(rd)); err != nil {
			out.close()
			return nil, fmt.Errorf("analyze: tunnel table: %w", err)
		}
		for range p.workers {
			rd.pending = append(rd.pending, <-free)
		}
		p.readers = append(p.readers, rd)
	}
	p.rd = p.readers[0]
	return p, nil
}

func (p *pipeline) run(ctx context.Context, inputs []string) (*Summary, error) {
	start := time.Now()
	var stop atomic.Bool
	ctxDone := context.AfterFunc(ctx, func() {
		if !p.live {
			stop.Store(true)
			return
		}
		// A live run ends when its sources do: Close makes each
		// reader's Next return io.EOF, and the readers flush.
		for _, rd := range p.readers {
			rd.src.Close()
		}
	})
	defer ctxDone()

	var wg sync.WaitGroup
	if !p.rd.inline {
		for _, wk := range p.workers {
			wg.Add(1)
			go func() { defer wg.Done(); wk.run() }()
		}
	}
	bar := startProgress(p.cfg.Progress, p.progress)
	errs := make([]error, len(p.readers))
	if len(p.readers) == 1 {
		errs[0] = p.runReader(p.rd, &stop)
		p.rd.finish()
	} else {
		var rwg sync.WaitGroup
		for i, rd := range p.readers {
			rwg.Go(func() {
				errs[i] = p.runReader(rd, &stop)
				rd.finish()
			})
		}
		rwg.Wait()
	}
	// Every reader has stopped: no more senders.
	if !p.rd.inline {
		for _, wk := range p.workers {
			close(wk.in)
		}
	}
	wg.Wait()
	bar.stop()
	writeErr := p.out.close()

	sum := p.summary(inputs, time.Since(start))
	return sum, errors.Join(errors.Join(errs...), writeErr)
}

// maxPanics is how many recovered panics a run tolerates before giving up.
const maxPanics = 1000

// runReader runs the reader with the last-resort panic net: a packet that
// panics is counted and skipped, and reading goes on. An offline reader
// runs with SetPanicOnFault: its capture files are mapped, and one that
// shrinks while it is read faults (readUntilPanic).
func (p *pipeline) runReader(rd *reader, stop *atomic.Bool) error {
	if !rd.live {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	for {
		err, panicked := p.readUntilPanic(rd, stop)
		if !panicked {
			return err
		}
		if p.panics.Load() >= maxPanics {
			return fmt.Errorf("analyze: giving up after %d internal errors, last in %s at offset %d: %v",
				maxPanics, rd.src.Name(), rd.src.Offset(), err)
		}
	}
}

func (p *pipeline) readUntilPanic(rd *reader, stop *atomic.Bool) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			if ferr := capture.Fault(rd.src, r); ferr != nil {
				// A mapped capture file shrank: an input error, not an
				// internal one; the source goes on with the next input,
				// and the frames read ahead from this one are gone.
				rd.frames.drop()
				rd.noteInputError(ferr)
				err, panicked = nil, true
				return
			}
			p.panics.Add(1)
			err, panicked = fmt.Errorf("%v", r), true
		}
	}()
	if rd.live {
		return rd.runLive(stop), false
	}
	return rd.run(stop), false
}
