// Package synth writes deterministic, realistic mixed-traffic captures.
//
// Write produces an Ethernet pcap of interleaved flows: TCP sessions (HTTP
// on 80, TLS 1.3 on 443, SSH on 22) with handshakes, request/response data,
// ACKs and FIN, RST or no teardown; SYN-only scans (S0) and rejected
// connections (REJ); DNS query/response pairs in real wire format; NTP;
// one-way UDP (syslog, statsd); ICMP and ICMPv6 echo; IPv6 neighbour
// solicitation/advertisement; VLAN-tagged hosts; VXLAN and 6in4 tunnels;
// and IKE exchanges whose large datagrams are IPv4-fragmented. Every IPv4
// header, TCP, UDP, ICMP and ICMPv6 checksum is correct (VXLAN outer UDP
// carries the legal zero checksum, as Linux VTEPs send it).
//
// The same Config always yields the same bytes (for a given Go release and
// CPU architecture: sizes and gaps come from floating-point draws, and the
// math package may round differently elsewhere). Packets are streamed: flows
// are scheduled on a heap by their next packet's time and planned one
// exchange at a time, so memory is bounded by the number of concurrently
// open flows, not by the capture's size.
package synth

import (
	"errors"
	"math"
	"math/rand/v2"
	"time"
)

// Config controls what Write produces. Start from DefaultConfig.
type Config struct {
	Seed int64
	// Packets is the approximate number of packets to produce; zero means
	// the default (200000).
	Packets int
	// Flows is the total number of flows to produce; zero means Packets/10.
	// It is lowered to Packets/8 where higher, since the traffic mix needs
	// about that many packets per flow to land near Packets.
	Flows int
	// IPv6Share is the share of flows carried over IPv6, in [0,1]. Used as
	// given (zero means no IPv6 flows).
	IPv6Share float64
	// Start is the time of the capture's first flow; zero means
	// 2026-01-01T00:00:00Z.
	Start time.Time
	// Duration is the span over which flows start; zero means 10 minutes.
	// Flows are sized to end by then; the last packets may trail it by the
	// last round trips.
	Duration time.Duration
}

// DefaultConfig returns the defaults: seed 1, 200000 packets, 20000 flows,
// 30% IPv6, starting 2026-01-01T00:00:00Z, spanning 10 minutes.
func DefaultConfig() Config {
	return Config{
		Seed:      1,
		Packets:   200000,
		Flows:     20000,
		IPv6Share: 0.3,
		Start:     time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Duration:  10 * time.Minute,
	}
}

// Stats says what Write produced.
type Stats struct {
	Packets int // frames written
	Bytes   int // sum of the frames' lengths (excluding pcap headers)
	Flows   int // flows generated (a tunnelled session counts once)
}

// SnapLen is the snapshot length written in the pcap header; no frame Write
// produces is longer, so nothing is truncated.
const SnapLen = 65535

func (c *Config) normalize() error {
	if c.Packets < 0 || c.Flows < 0 || c.Duration < 0 {
		return errors.New("synth: negative Packets, Flows or Duration")
	}
	if math.IsNaN(c.IPv6Share) || c.IPv6Share < 0 || c.IPv6Share > 1 {
		return errors.New("synth: IPv6Share must be in [0,1]")
	}
	if c.Packets == 0 {
		c.Packets = 200000
	}
	if c.Flows == 0 {
		c.Flows = max(1, c.Packets/10)
	}
	if c.Flows > c.Packets/8 {
		c.Flows = max(1, c.Packets/8)
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Minute
	}
	return nil
}

// emitFunc receives each frame in time order; the slice is reused.
type emitFunc func(ts int64, frame []byte) error

// gen is the state of one generation run.
type gen struct {
	cfg   Config
	rng   *rand.Rand
	seed  uint64
	start int64 // ns
	end   int64 // ns
	span  float64
	buf   []byte
	out   emitFunc
	stats Stats

	h         []*flow
	free      []*flow
	nextID    uint64
	created   int
	nextStart int64

	planned  int // packets planned by live flows plus those sent by finished ones
	nHosts   int
	p6       float64 // IPv6 probability for kinds that can be IPv6
	kindCum  []float64
	tcpShare float64
	avgOther float64
}

// generate runs the generator, handing every frame to out.
func generate(cfg Config, out emitFunc) (Stats, error) {
	if err := cfg.normalize(); err != nil {
		return Stats{}, err
	}
	g := &gen{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		seed:  uint64(cfg.Seed),
		start: cfg.Start.UnixNano(),
		buf:   make([]byte, bufSize),
		out:   out,
	}
	g.end = g.start + int64(cfg.Duration)
	g.span = float64(cfg.Duration) * 0.97
	g.nHosts = min(max(cfg.Flows/25, 2*hostsPerSubnet), 60000)
	g.initKinds()
	getPools()
	hostNames()

	g.nextStart = g.flowStart(0)
	for {
		if g.created < cfg.Flows && (len(g.h) == 0 || g.nextStart <= g.h[0].next) {
			f := g.newFlow(g.nextStart)
			g.created++
			if g.created < cfg.Flows {
				g.nextStart = g.flowStart(g.created)
			}
			if len(f.q) == 0 {
				g.release(f)
				continue
			}
			f.next = f.q[0].at
			g.push(f)
			continue
		}
		if len(g.h) == 0 {
			break
		}
		f := g.h[0]
		st := &f.q[f.qi]
		fr := g.emit(f, st)
		g.stats.Packets++
		g.stats.Bytes += len(fr)
		if err := g.out(st.at, fr); err != nil {
			return g.stats, err
		}
		f.qi++
		f.sent++
		if f.qi == len(f.q) {
			f.q = f.q[:0]
			f.qi = 0
			g.refill(f)
		}
		if f.qi == len(f.q) {
			g.pop()
			g.planned += f.sent - f.budget
			g.release(f)
			continue
		}
		f.next = f.q[f.qi].at
		g.down(0)
	}
	g.stats.Flows = g.created
	return g.stats, nil
}

// flowStart spreads flow starts evenly with jitter; it is increasing in i.
func (g *gen) flowStart(i int) int64 {
	u := g.rng.Float64()
	return g.start + int64((float64(i)+u)/float64(g.cfg.Flows)*g.span)
}

// ---------------------------------------------------------------------------
// Heap of flows ordered by (next, id).

func less(a, b *flow) bool {
	if a.next != b.next {
		return a.next < b.next
	}
	return a.id < b.id
}

func (g *gen) push(f *flow) {
	g.h = append(g.h, f)
	i := len(g.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(g.h[i], g.h[p]) {
			break
		}
		g.h[i], g.h[p] = g.h[p], g.h[i]
		i = p
	}
}

func (g *gen) pop() {
	n := len(g.h) - 1
	g.h[0] = g.h[n]
	g.h[n] = nil
	g.h = g.h[:n]
	if n > 0 {
		g.down(0)
	}
}

func (g *gen) down(i int) {
	h := g.h
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// ---------------------------------------------------------------------------
// Random helpers.

// lognorm draws a log-normal value with the given median.
func (g *gen) lognorm(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.rng.NormFloat64())
}

// dur draws a log-normal duration in ns with the given median.
func (g *gen) dur(median time.Duration, sigma float64) int64 {
	return int64(g.lognorm(float64(median), sigma))
}

// between draws uniformly from [lo, hi] ns.
func (g *gen) between(lo, hi time.Duration) int64 {
	return int64(lo) + g.rng.Int64N(int64(hi-lo)+1)
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// mix64 is splitmix64's finaliser, for deterministic per-index attributes.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
