// Package serve is `vigil serve`: the situation-awareness server. It
// ingests captures and Zeek logs dropped into an inbox directory and
// NetFlow/IPFIX/sFlow on UDP into the store (internal/store, DuckDB by
// default), recomputes the situation model (internal/situation) every
// minute, and serves a versioned JSON API (/api/v1, bearer tokens:
// admin and read-only), server-sent events and an embedded web
// dashboard.
//
//	srv, err := serve.New(serve.DefaultConfig())
//	err = srv.Run(ctx) // until ctx ends
//
// Data layout under Config.DataDir: vigil.duckdb (the store), tokens.json
// (0600), inbox/ (drop files here), runs/N-NAME/ (each run's logs),
// done/ and failed/ (ingested files; NAME.error beside a failed one),
// detect.state (0600: the live capture's detection state across restarts,
// Config.DetectState; detect.state.lock held while a run keeps it).
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/netflow"
	"github.com/vigil-nsm/vigil/internal/situation"
	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/duckdb"
)

// Server is the running server. Use New, then Run (or Open and Handler
// in tests), then Close.
type Server struct {
	cfg    Config
	st     store.Store
	ownSt  bool
	tokens Tokens
	hub    *hub
	model  *situation.Model

	mu       sync.Mutex
	snap     *situation.Snapshot
	stats    SensorStats
	sink     *store.Writer
	flows    map[string]*store.Writer // NetFlow writers by exporter
	nf       *netflow.Listener
	live     *liveRun // Config.Live's capture, while it runs
	opened   bool
	ingestMu sync.Mutex // one ingest run at a time
	kick     chan struct{}
	addr     net.Addr
}

// New checks the configuration; it does no work.
func New(cfg Config) (*Server, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, hub: newHub(), flows: map[string]*store.Writer{}, kick: make(chan struct{}, 1),
		stats: SensorStats{Started: time.Now()}}, nil
}

// Open creates the data directories, opens the store, loads or makes the
// tokens (printing new ones once) and removes what a crash left half
// stored. Run calls it; tests call it before Handler.
func (s *Server) Open() error {
	if s.opened {
		return nil
	}
	for _, d := range []string{s.cfg.DataDir, s.cfg.inbox(), s.cfg.done(), s.cfg.failed(), s.cfg.runs()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	s.undoGathers()
	t, created, err := loadTokens(s.cfg.tokens())
	if err != nil {
		return err
	}
	s.tokens = t
	if created {
		fmt.Fprintf(s.cfg.Log, "vigil: new API tokens (also in %s, mode 0600):\n  admin %s\n  read  %s\n",
			s.cfg.tokens(), t.Admin, t.Read)
	}
	if err := s.openStore(); err != nil {
		return err
	}
	s.model = situation.New(s.st, s.cfg.Situation)
	s.opened = true
	return nil
}

func (s *Server) openStore() error {
	s.st = s.cfg.Store
	if s.st == nil {
		db, err := duckdb.Open(s.cfg.dbPath(), duckdb.Options{})
		if err != nil {
			return err
		}
		s.st, s.ownSt = db, true
	}
	ctx := context.Background()
	aborted, err := s.st.Recover(ctx)
	if err != nil {
		return err
	}
	for _, src := range aborted {
		s.logf("recovered: removed the rows of an interrupted run of %s; it is ingested again if still in the inbox", src)
	}
	id, err := s.st.BeginRun(ctx, "api", "api")
	if err != nil {
		return err
	}
	s.sink = store.NewWriter(s.st, s.writerConfig(id))
	return nil
}

// writerConfig is the configuration of a store writer for run id.
func (s *Server) writerConfig(id int32) store.WriterConfig {
	cfg := store.DefaultWriterConfig()
	cfg.Run = id
	cfg.OnCommit = s.onCommit
	cfg.OnError = func(err error) { s.logf("%v", err) }
	return cfg
}

// onCommit publishes the alerts and incidents of a committed batch.
func (s *Server) onCommit(b *store.Batch) {
	for i := range b.Alerts {
		s.hub.publish("alert", b.Alerts[i].JSON)
	}
	for i := range b.Incidents {
		s.hub.publish("incident", b.Incidents[i].JSON)
	}
}

// Sink is a consumer that stores records directly (run "api"): route
// alerts, incidents, assets or any record into the store with it. It may
// be used from any goroutine; Flush makes what it got visible.
func (s *Server) Sink() *store.Writer { return s.sink }

// Store returns the store.
func (s *Server) Store() store.Store { return s.st }

// Tokens returns the API tokens.
func (s *Server) Tokens() Tokens { return s.tokens }

// Addr returns the HTTP address once Run listens.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "vigil serve: "+format+"\n", args...)
}

// Run serves until ctx ends: HTTP, the inbox watcher, NetFlow, the live
// capture (Config.Live), the situation model and maintenance.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Open(); err != nil {
		return err
	}
	lr, err := s.openLive()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		if lr != nil {
			lr.close()
		}
		return fmt.Errorf("serve: listen %s: %w", s.cfg.Listen, err)
	}
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	if err := s.startNetFlow(ctx); err != nil {
		ln.Close()
		if lr != nil {
			lr.close()
		}
		return err
	}
	// A client has ReadTimeout to send its request and IdleTimeout between
	// requests, so that clients without a token cannot hold connections
	// (and the server's descriptors) for ever; the upload and the event
	// stream lift the read deadline for themselves once authorised.
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
	var wg sync.WaitGroup
	if lr != nil {
		wg.Go(func() { s.runLive(ctx, lr) })
	}
	wg.Go(func() { s.watch(ctx) })
	wg.Go(func() { s.situationLoop(ctx) })
	wg.Go(func() { s.maintenanceLoop(ctx) })
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.logf("listening on http://%s (inbox %s)", ln.Addr(), s.cfg.inbox())
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) startNetFlow(ctx context.Context) error {
	if s.cfg.NetFlow == "" {
		return nil
	}
	cfg := netflow.DefaultConfig()
	cfg.Addr = s.cfg.NetFlow
	l, err := netflow.Listen(cfg, s.addFlow)
	if err != nil {
		return err
	}
	if got := l.Stats().ReadBuffer; got < cfg.ReadBuffer {
		s.logf("netflow: receive buffer %d bytes, asked for %d (raise net.core.rmem_max)", got, cfg.ReadBuffer)
	}
	s.mu.Lock()
	s.nf = l
	s.mu.Unlock()
	s.logf("netflow/ipfix/sflow on udp %s", l.Addr())
	go l.Run(ctx)
	return nil
}

// addFlow stores a flow through its exporter's writer (one run per
// exporter).
func (s *Server) addFlow(exporter string, c store.Conn) {
	s.mu.Lock()
	w := s.flows[exporter]
	s.mu.Unlock()
	if w == nil {
		id, err := s.st.BeginRun(context.Background(), "netflow "+exporter, "netflow")
		if err != nil {
			s.logf("netflow: %v", err)
			return
		}
		w = store.NewWriter(s.st, s.writerConfig(id))
		s.mu.Lock()
		s.flows[exporter] = w
		s.mu.Unlock()
	}
	w.Add(c)
}

// Close flushes the writers and closes the store (when the server opened
// it).
func (s *Server) Close() error {
	if !s.opened {
		return nil
	}
	var errs []error
	ctx := context.Background()
	s.mu.Lock()
	writers := []*store.Writer{s.sink}
	for _, w := range s.flows {
		writers = append(writers, w)
	}
	s.mu.Unlock()
	for _, w := range writers {
		errs = append(errs, w.Close())
		st := w.Stats()
		errs = append(errs, s.st.EndRun(ctx, w.Run(), store.RunEnd{Status: "done", Records: int64(st.Records)}))
	}
	if s.ownSt {
		errs = append(errs, s.st.Close())
	}
	s.opened = false
	return errors.Join(errs...)
}

// situationLoop recomputes the situation model and publishes it.
func (s *Server) situationLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SituationEvery)
	defer t.Stop()
	s.ComputeSituation(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.ComputeSituation(ctx)
	}
}

// ComputeSituation recomputes the model now and publishes the snapshot.
func (s *Server) ComputeSituation(ctx context.Context) (*situation.Snapshot, error) {
	snap, err := s.model.Compute(ctx)
	if err != nil {
		s.logf("situation: %v", err)
		return nil, err
	}
	s.mu.Lock()
	s.snap = snap
	s.mu.Unlock()
	s.hub.publish("situation", map[string]any{"ts": snap.TS, "index": snap.Index, "level": snap.Level,
		"components": snap.Components})
	return snap, nil
}

// kickSituation asks the situation loop to recompute soon.
func (s *Server) kickSituation() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Server) maintenanceLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.MaintenanceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.maintain(ctx)
		}
	}
}

// maintain runs retention and, when the store supports it, a checkpoint.
func (s *Server) maintain(ctx context.Context) (store.Retained, error) {
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	got, err := s.st.Retain(ctx, s.cfg.Retention)
	if err != nil {
		s.logf("retention: %v", err)
		return got, err
	}
	if len(got) > 0 {
		s.logf("retention: deleted %v", got)
	}
	if c, ok := s.st.(interface{ Checkpoint(context.Context) error }); ok {
		if err := c.Checkpoint(ctx); err != nil {
			s.logf("%v", err)
		}
	}
	return got, nil
}

// consumers returns the consumers of one ingest run.
func (s *Server) consumers(w *store.Writer, outDir string) ([]analyze.Consumer, error) {
	list := []analyze.Consumer{w}
	if s.cfg.Consumers == nil {
		return list, nil
	}
	extra, err := s.cfg.Consumers(outDir, w)
	if err != nil {
		return nil, fmt.Errorf("serve: consumers: %w", err)
	}
	return append(list, extra...), nil
}
