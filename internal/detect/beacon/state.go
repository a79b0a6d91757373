package beacon

import (
	"fmt"
	"io"
	"math"

	"github.com/vigil-nsm/vigil/internal/detect/persist"
)

// stateVersion is the version of the state SaveState writes; raise it
// when its layout changes (a state of another version is not loaded).
const stateVersion = 1

// maxStateBytes bounds the state read (MaxPairs pairs of MaxConns
// connections, at the defaults, would be some 64 GB: far more than any
// real state, whose size the counts read are checked against).
const maxStateBytes = 4 << 30

// maxName is the longest server or proxied host name kept in a state:
// the longest string the encoding holds, so that every name a connection
// can carry (an HTTP Host line of up to 8 kB, a TLS server_name of up to
// 64 kB) is saved and loaded; a longer one (possible only from a log
// file) is left out of the state with its pair, rather than cut (two cut
// names could make one pair twice) or refused on load with the whole
// state. A name costs the state its own bytes, so this bounds nothing
// that the state's size does not.
const maxName = math.MaxUint16

// SaveState implements detect.Persistent: the pairs (their connection
// times and sizes, bytes, last scoring) and first sightings, in arrival
// order, and the observation windows. Names and conn records waiting for
// each other (a minute at most) are not saved.
func (d *Detector) SaveState(w io.Writer) error {
	size := 128 + 48*len(d.singles)
	for _, p := range d.pairs {
		size += 64 + 16*len(p.ts)
	}
	e := persist.NewEnc(size)
	e.U8(stateVersion)
	e.F64(d.cut)
	for _, win := range []window{d.conns, d.requests} {
		e.F64(win.start)
		e.F64(win.end)
	}
	n := 0
	for k := range d.pairs {
		if len(k.host) <= maxName {
			n++
		}
	}
	e.Int(n)
	for k, p := range d.pairs {
		if len(k.host) > maxName {
			continue
		}
		saveKey(e, k)
		e.U16(p.port)
		e.Str(p.proto)
		e.F64(p.last)
		e.U64(p.bytes)
		e.Int(len(p.ts))
		for i := range p.ts {
			e.F64(p.ts[i])
			e.F64(p.sizes[i])
		}
		e.Bool(p.scoring != nil)
		if sc := p.scoring; sc != nil {
			e.Int(sc.evaluated)
			e.F64(sc.evalEnd)
			e.Addr(sc.dst)
			e.Int(len(sc.uids))
			for _, u := range sc.uids {
				e.Str(u)
			}
			s := sc.score
			e.Int(s.Conns)
			for _, f := range []float64{s.Total, s.Timestamp, s.DataSize, s.Duration, s.Histogram} {
				e.F64(f)
			}
		}
	}
	var live []queued
	for _, q := range d.singleQ {
		if s, ok := d.singles[q.k]; ok && s.seq == q.seq && len(q.k.host) <= maxName {
			live = append(live, q)
		}
	}
	e.Int(len(live))
	for _, q := range live {
		s := d.singles[q.k]
		saveKey(e, q.k)
		e.U16(s.port)
		e.Str(s.proto)
		e.F64(s.ts)
		e.F64(s.size)
		e.U64(s.bytes)
	}
	_, err := e.WriteTo(w)
	return err
}

func saveKey(e *persist.Enc, k key) {
	e.Addr(k.src)
	e.Addr(k.dst)
	e.Str(k.host)
}

// LoadState implements detect.Persistent: it gives a detector that has
// seen no record the state SaveState wrote, checked against this
// detector's MaxPairs and MaxConns. On error the detector is left as it
// was. Connections older than the window leave it at the next flush, as
// they would have without the restart.
func (d *Detector) LoadState(r io.Reader) error {
	b, err := persist.ReadAll(r, maxStateBytes)
	if err != nil {
		return fmt.Errorf("beacon: %w", err)
	}
	dec := persist.NewDec(b)
	dec.Version(stateVersion)
	cut := dec.Time()
	var wins [2]window
	for i := range wins {
		wins[i] = window{dec.F64(), dec.F64()}
		if math.IsNaN(wins[i].start) || math.IsNaN(wins[i].end) {
			dec.Fail("window is not a number")
		}
	}
	names := map[string]string{} // each name string once
	pairs := map[key]*pair{}
	candidates := map[key]*pair{}
	// A pair takes at least 38 bytes (addresses, name, port, protocol,
	// last, bytes, count, scoring flag); a connection 16.
	n := dec.Count(d.cfg.MaxPairs, 38)
	for range n {
		k := loadKey(dec, names)
		p := &pair{port: dec.U16(), proto: loadProto(dec), last: dec.Time(), bytes: dec.U64()}
		conns := dec.Count(d.cfg.MaxConns, 16)
		if dec.Err() == nil && conns == 0 {
			dec.Fail("pair without connections")
		}
		p.ts, p.sizes = make([]float64, conns), make([]float64, conns)
		for i := range conns {
			p.ts[i], p.sizes[i] = dec.Time(), dec.Time()
		}
		if dec.Bool() {
			sc := &scoring{evaluated: dec.Int(d.cfg.MaxConns), evalEnd: dec.Time(), dst: dec.Addr()}
			uids := dec.Count(5, 2)
			for range uids {
				sc.uids = append(sc.uids, dec.Str(math.MaxUint16))
			}
			sc.score.Conns = dec.Int(d.cfg.MaxConns)
			for _, f := range []*float64{&sc.score.Total, &sc.score.Timestamp, &sc.score.DataSize, &sc.score.Duration, &sc.score.Histogram} {
				*f = dec.Time()
			}
			p.scoring = sc
		}
		if dec.Err() != nil {
			break
		}
		if _, dup := pairs[k]; dup {
			dec.Fail("pair %v listed twice", k)
			break
		}
		pairs[k] = p
		if len(p.ts) >= d.cfg.MinConns {
			if p.scoring == nil {
				p.scoring = &scoring{}
			}
			candidates[k] = p
		}
	}
	singles := map[key]single{}
	var singleQ []queued
	seq := d.seq
	n = dec.Count(d.cfg.MaxPairs, 32)
	for range n {
		k := loadKey(dec, names)
		s := single{port: dec.U16(), proto: loadProto(dec), ts: dec.Time(), size: dec.Time(), bytes: dec.U64()}
		if dec.Err() != nil {
			break
		}
		if _, dup := singles[k]; dup {
			dec.Fail("first sighting %v listed twice", k)
			break
		}
		seq++
		s.seq = seq
		singles[k] = s
		singleQ = append(singleQ, queued{k, seq})
	}
	if err := dec.End(); err != nil {
		return fmt.Errorf("beacon: %w", err)
	}
	d.cut, d.conns, d.requests = cut, wins[0], wins[1]
	d.pairs, d.candidates, d.singles, d.singleQ, d.singleArr, d.seq = pairs, candidates, singles, singleQ, singleQ[:0], seq
	return nil
}

func loadKey(dec *persist.Dec, names map[string]string) key {
	k := key{src: dec.ValidAddr(), dst: dec.Addr()}
	host := dec.Str(maxName)
	if dec.Err() != nil {
		return key{}
	}
	if host == "" && !k.dst.IsValid() {
		dec.Fail("pair without a destination")
	}
	if s, ok := names[host]; ok {
		host = s
	} else if len(names) < 100_000 {
		names[host] = host
	}
	k.host = host
	return k
}

// loadProto reads a pair's transport protocol, one of the names
// rec.Proto.String() gives (the same strings).
func loadProto(dec *persist.Dec) string {
	s := dec.Str(32)
	for _, known := range []string{"tcp", "udp", "icmp", "unknown_transport"} {
		if s == known {
			return known
		}
	}
	dec.Fail("transport %q", s)
	return ""
}

// StateSummary says what the state holds, for the engine's notices.
func (d *Detector) StateSummary() string {
	return fmt.Sprintf("%d pairs (%d scored), %d first sightings", len(d.pairs), len(d.candidates), len(d.singles))
}
