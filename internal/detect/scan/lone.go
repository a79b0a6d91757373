package scan

import (
	"math"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Lone probes. Most probing sources send one probe and no other: each
// forged address of a spoofed SYN flood, a host's one failed connection.
// Counted as every source is, each cost an episode, a slow record, their
// map and schedule entries and places in the idle orders: some 800 bytes
// and, under a flood of a million forged addresses, two thirds of the
// detector's time. Yet a source of one probe crosses no threshold (lone
// probes are kept only while every threshold is above one). So a
// source's first probe is kept aside, as one value in Detector.lone,
// until the source does something more: a second probe, a conversation,
// or a repeat of its probe after Window. It is then promoted: its
// episode and slow record are made as its first probe would have made
// them, as they would stand now, and the source goes on as any other.
//
// "As they would stand now": a flush ends an episode idle for longer
// than Idle and a slow record idle for longer than SlowIdle. The flushes
// before a promotion are summed up by the latest one (Detector.flushed):
// an episode or record has ended when that flush came more than Idle
// (SlowIdle) after its last activity, as Schedule.Flush judges it, and
// is then not made. The alerts are therefore those without lone probes;
// only when MaxEntries is reached do evictions differ, lone probes
// counting loneEntries each: the budget holds four times more of them
// than of sources of one probe.

// loneEntries is what a lone probe costs against MaxEntries: its map
// entry (128 bytes) and its slot in the lone order (32), both held with
// the slack of tables that grow by doubling, take some 500 bytes.
const loneEntries = 5

// loneUID is the longest uid a lone probe holds in place (Zeek's have 18
// bytes at most); a longer one is kept as a string.
const loneUID = 22

// loneProbe is a source's only probe: the probe, when it was sent, and
// the repeats of it since (a SYN sent again).
type loneProbe struct {
	dst        netip.Addr
	ts         float64 // when the probe was first seen: its slow record's last activity
	from, last float64 // the earliest and latest time of the probe and its repeats: its episode's first and Last
	seq        uint64  // its slot in Detector.loneOrder
	port       uint16
	proto      rec.Proto
	uidLen     uint8
	uid        [loneUID]byte
	longUID    string
}

func (l *loneProbe) probe() probe { return probe{l.dst, l.port, l.proto} }

// connUID returns the uid of the probe's connection.
func (l *loneProbe) connUID() []byte {
	if l.longUID != "" {
		return []byte(l.longUID)
	}
	return l.uid[:l.uidLen]
}

// loneSlot is a lone probe's place in Detector.loneOrder; seq tells it
// from the slot of an earlier lone probe of the same source.
type loneSlot struct {
	src netip.Addr
	seq uint64
}

// lonesAllowed reports whether a source of one probe can cross no
// threshold, so that lone probes may be kept aside.
func (c Config) lonesAllowed() bool {
	return c.VerticalPorts > 1 && c.HorizontalHosts > 1 && (c.SlowWindow == 0 || c.SlowPorts > 1 && c.SlowHosts > 1)
}

// addLone keeps probe p, src's first, aside.
func (d *Detector) addLone(src netip.Addr, p probe, ts float64, uid []byte) {
	d.loneSeq++
	l := loneProbe{dst: p.dst, ts: ts, from: ts, last: ts, seq: d.loneSeq, port: p.port, proto: p.proto}
	if len(uid) <= loneUID {
		l.uidLen = uint8(copy(l.uid[:], uid))
	} else {
		l.longUID = string(uid)
	}
	d.lone[src] = l
	d.loneOrder = append(d.loneOrder, loneSlot{src, l.seq})
	d.entries += loneEntries
	d.tidyLoneOrder()
	d.bound()
}

// repeats reports whether p at ts is src's lone probe l sent again, noted
// as such: its episode and slow record both live on and the episode has
// not outlasted Window (a repeat after it starts the next episode).
func (d *Detector) repeats(src netip.Addr, l loneProbe, p probe, ts float64) bool {
	if p != l.probe() || ts-l.from > d.cfg.Window || d.episodeEnded(&l) || d.slowEnded(&l) {
		return false
	}
	l.from, l.last = min(l.from, ts), max(l.last, ts)
	d.lone[src] = l
	return true
}

// episodeEnded reports whether a flush has ended the episode of lone
// probe l (Schedule.Flush's test).
func (d *Detector) episodeEnded(l *loneProbe) bool { return d.flushed-l.last > d.cfg.Idle }

// slowEnded reports whether the slow tier is off or a flush has ended the
// slow record of lone probe l.
func (d *Detector) slowEnded(l *loneProbe) bool {
	return d.cfg.SlowWindow == 0 || d.flushed-l.ts > d.cfg.SlowIdle
}

// promote makes src's episode and slow record from its lone probe l, as
// they would stand had the probe been counted when it came.
func (d *Detector) promote(src netip.Addr, l loneProbe, emit alert.Emit) {
	d.dropLone(src)
	p, uid := l.probe(), l.connUID()
	if !d.episodeEnded(&l) {
		s := d.newSource(src, l.ts)
		s.first = l.from
		s.Active(l.last)
		d.idle.touch(s)
		d.addProbe(s, p, l.ts, uid)
	}
	if !d.slowEnded(&l) {
		d.slowProbe(src, p, l.ts, uid, emit)
	}
}

// promoteAll promotes every lone probe (for the state saved, and
// Suspend).
func (d *Detector) promoteAll(emit alert.Emit) {
	for _, slot := range d.loneOrder[d.loneHead:] {
		if l, ok := d.lone[slot.src]; ok && l.seq == slot.seq {
			d.promote(slot.src, l, emit)
		}
	}
}

// dropLone forgets src's lone probe; its slot in the order is left
// behind, recognised by its seq.
func (d *Detector) dropLone(src netip.Addr) {
	delete(d.lone, src)
	d.entries -= loneEntries
}

// oldestLone returns the lone probe first in the order (the oldest kept),
// passing over the slots of probes dropped since; ok is false when none is
// left. It returns the probe, not a pointer to a copy of it, which would
// be allocated at every call (an eviction under a spoofed flood makes
// hundreds of thousands).
func (d *Detector) oldestLone() (src netip.Addr, l loneProbe, ok bool) {
	for ; d.loneHead < len(d.loneOrder); d.loneHead++ {
		slot := d.loneOrder[d.loneHead]
		if l, ok := d.lone[slot.src]; ok && l.seq == slot.seq {
			return slot.src, l, true
		}
	}
	return netip.Addr{}, loneProbe{}, false
}

// expireLones forgets the oldest lone probes whose episode and slow
// record have both ended (at Flush): nothing of them would be left.
func (d *Detector) expireLones() {
	if math.IsInf(d.flushed, 1) {
		d.dropAllLones() // the last flush: every one has ended
		return
	}
	for {
		src, l, ok := d.oldestLone()
		if !ok || !d.episodeEnded(&l) || !d.slowEnded(&l) {
			return
		}
		d.dropLone(src)
		d.loneHead++
	}
}

// dropAllLones forgets every lone probe at once, as expireLones would one
// by one (under a spoofed flood, hundreds of thousands of map deletions
// at the end of a run).
func (d *Detector) dropAllLones() {
	d.entries -= loneEntries * len(d.lone)
	clear(d.lone)
	clear(d.loneOrder)
	d.loneOrder, d.loneHead = d.loneOrder[:0], 0
}

// tidyLoneOrder keeps the lone order's dead slots (before loneHead, or
// of probes dropped) at most about twice the live ones.
func (d *Detector) tidyLoneOrder() {
	if n := len(d.loneOrder); n < 1024 || n-d.loneHead <= 2*len(d.lone) && d.loneHead <= n/2 {
		return
	}
	kept := d.loneOrder[:0]
	for _, slot := range d.loneOrder[d.loneHead:] {
		if l, ok := d.lone[slot.src]; ok && l.seq == slot.seq {
			kept = append(kept, slot)
		}
	}
	clear(d.loneOrder[len(kept):])
	d.loneOrder, d.loneHead = kept, 0
}
