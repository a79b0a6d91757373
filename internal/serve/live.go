package serve

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/periodic"
	"github.com/vigil-nsm/vigil/internal/store"
)

// LiveStats is one interface's live capture, for the sensor endpoint.
type LiveStats struct {
	Interface string `json:"interface"`
	Rings     int    `json:"rings"`
	// Packets reached the capture (the kernel's count, Drops included);
	// Drops were lost because a ring was full; RingFull counts the times
	// it was; Analysed were handed to the analysis.
	Packets  uint64 `json:"packets"`
	Drops    uint64 `json:"drops"`
	RingFull uint64 `json:"ring_full"`
	Analysed uint64 `json:"analysed"`
	// LastPacket is the newest packet's time; LagS how far the analysis
	// is behind it (0 when it has caught up with the link).
	LastPacket time.Time `json:"last_packet,omitzero"`
	LagS       float64   `json:"lag_s"`
}

// liveRun is the live capture of Config.Live: one analysis run over every
// ring of every interface, as long as the server runs.
type liveRun struct {
	groups []*live.Group
}

// openLive opens Config.Live's interfaces (nil when there are none). Run
// calls it before serving, so a missing permission fails the start.
func (s *Server) openLive() (*liveRun, error) {
	if len(s.cfg.Live) == 0 {
		return nil, nil
	}
	lr := &liveRun{}
	for _, c := range s.cfg.Live {
		g, err := live.Open(c)
		if err != nil {
			lr.close()
			return nil, fmt.Errorf("serve: %w", err)
		}
		lr.groups = append(lr.groups, g)
	}
	return lr, nil
}

func (lr *liveRun) close() {
	for _, g := range lr.groups {
		g.Close()
	}
}

func (lr *liveRun) names() []string {
	var out []string
	for _, g := range lr.groups {
		out = append(out, g.Stats().Interface)
	}
	return out
}

// runLive analyses the live capture until ctx ends: its records reach the
// store (and the run's insight consumers) as connections end, like an
// inbox file's, through one long run. At the end every record is flushed,
// the insight logs stored and the run ended.
func (s *Server) runLive(ctx context.Context, lr *liveRun) {
	defer lr.close()
	bg := context.Background() // the end is stored after ctx ended
	src := "live:" + strings.Join(lr.names(), ",")
	id, err := s.st.BeginRun(bg, src, "live")
	if err != nil {
		s.logf("live: %v", err)
		return
	}
	s.mu.Lock()
	s.live = lr
	s.mu.Unlock()
	outDir := filepath.Join(s.cfg.runs(), fmt.Sprintf("%d-live", id))
	w := store.NewWriter(s.st, s.writerConfig(id))
	var rs runSummary
	cons, err := s.consumers(w, outDir)
	if err == nil {
		var srcs []capture.Source
		for _, g := range lr.groups {
			srcs = append(srcs, g.Sources()...)
		}
		acfg := s.cfg.Analyze
		acfg.OutDir, acfg.Consumers, acfg.Progress = outDir, cons, nil
		s.logf("live capture on %s: %d ring(s), run %d", strings.Join(lr.names(), ", "), len(srcs), id)
		stop := s.snapshots(outDir, w)
		rs.sum, err = analyze.RunLive(ctx, acfg, srcs)
		stop()
		rs.records, err = s.finishRun(w, outDir, err)
	} else {
		w.Close()
	}
	if err != nil {
		s.logf("live: %v", err)
	}
	s.endRun(bg, id, rs, err, "")
	if rs.sum != nil {
		s.logf("live capture ended: %d packets, %d records, %d dropped by the kernel", rs.sum.Packets, rs.records, rs.sum.Kernel.Drops)
	}
}

// snapshots hands the live run's consumer state (Config.Snapshot) to w
// every SnapshotEvery until stop is called.
func (s *Server) snapshots(outDir string, w *store.Writer) (stop func()) {
	if s.cfg.Snapshot == nil {
		return func() {}
	}
	return periodic.Run(s.cfg.SnapshotEvery, func() { s.cfg.Snapshot(outDir, w) })
}

// liveStats returns the live capture's counters (nil when there is none).
func (s *Server) liveStats() []LiveStats {
	s.mu.Lock()
	lr := s.live
	s.mu.Unlock()
	if lr == nil {
		return nil
	}
	now := time.Now()
	var out []LiveStats
	for _, g := range lr.groups {
		st := g.Stats()
		ls := LiveStats{Interface: st.Interface, Rings: st.Members, Packets: st.Packets, Drops: st.Drops,
			RingFull: st.Freezes, Analysed: st.Frames, LagS: st.Lag(now).Seconds()}
		if st.Newest > 0 {
			ls.LastPacket = time.Unix(0, st.Newest).UTC()
		}
		out = append(out, ls)
	}
	return out
}
