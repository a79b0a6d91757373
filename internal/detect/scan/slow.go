package scan

import (
	"fmt"
	"math"
	"net/netip"
	"sort"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// The slow tier. A scan paced below the episode's Window (nmap -T0, one
// probe every five minutes; -T1, one every 15 s, its unanswered probes
// sent twice; a patient attacker's one a minute) never gathers
// VerticalPorts or HorizontalHosts within it. So each probing source also
// keeps a slow record: its latest distinct probes (at most SlowCap, the
// oldest replaced), judged over SlowWindow against SlowPorts and
// SlowHosts, with the existing classes and "pace": "slow" in the
// evidence.
//
// Benign sources gather failures slowly too, so the slow tier asks more
// than the episode does: a host's probed ports must outnumber the
// source's conversations with that host, and a port's probed hosts must
// outnumber its conversations on that port and lie in few networks (at
// most half as many /16 or /48 as hosts: a sweep covers a network, a
// P2P client's or a mail server's failures are all over the internet).
// The conversations are counted in two tables of talkSlots (per host,
// per service) kept by the Space-Saving rule: a count is never less than
// the true one, so a heavy talker is never taken for a scanner.
//
// Probes that a fast episode reports are not the slow tier's: when a
// source's episode alerts, its slow record is dropped (reported first if
// it alerted), and while that episode is open its probes are not added.

// SlowCap is the most distinct probes a slow record holds, and so the
// highest SlowPorts or SlowHosts: room for either threshold and for the
// failures of other kinds around it.
const SlowCap = 64

// talkSlots is the size of each of a slow record's conversation tables.
const talkSlots = 4

// slowEntries is what a slow record itself costs against MaxEntries:
// struct, conversation tables, map and schedule entries and uids take
// some 600 bytes, about seven probes' worth; each probe it holds (40
// bytes) counts as one entry more.
const slowEntries = 7

type slowProbe struct {
	dst   netip.Addr
	ts    float64
	port  uint16
	proto rec.Proto
}

func (q *slowProbe) svc() service { return service{q.port, q.proto} }

// tally is one slot of a Space-Saving table.
type tally[K comparable] struct {
	key K
	n   uint32
}

// add counts k in table t (Space-Saving: a key not held takes the slot of
// the smallest count, plus one).
func add[K comparable](t *[talkSlots]tally[K], k K) {
	low := 0
	for i := range t {
		if t[i].n > 0 && t[i].key == k {
			t[i].n++
			return
		}
		if t[i].n < t[low].n {
			low = i
		}
	}
	t[low] = tally[K]{k, t[low].n + 1}
}

// count returns k's count in t, 0 when not held.
func count[K comparable](t *[talkSlots]tally[K], k K) int {
	for i := range t {
		if t[i].n > 0 && t[i].key == k {
			return int(t[i].n)
		}
	}
	return 0
}

// slowSource is a source's slow record.
type slowSource struct {
	src netip.Addr
	alert.Episode
	probes   []slowProbe // distinct probes, latest time each, at most SlowCap
	hostTalk [talkSlots]tally[netip.Addr]
	svcTalk  [talkSlots]tally[service]
	uids     alert.UIDs
	added    int                  // distinct probes added since the record began (more than it holds)
	idle     idleLink[slowSource] // its place in Detector.slowIdle
}

func (sl *slowSource) size() int { return slowEntries + len(sl.probes) }

// talk counts conversation c as the slow record's.
func (sl *slowSource) talk(c *rec.Conn) {
	add(&sl.hostTalk, c.Resp)
	add(&sl.svcTalk, service{c.RespP, c.Proto})
}

// slowProbe adds probe p, sent by src at ts in connection uid, to src's
// slow record and reports the record when it crosses a slow threshold.
func (d *Detector) slowProbe(src netip.Addr, p probe, ts float64, uid []byte, emit alert.Emit) {
	sl := d.slow[src]
	if sl == nil {
		sl = &slowSource{src: src, Episode: alert.Episode{Last: ts}, probes: make([]slowProbe, 0, 2)}
		d.slow[src] = sl
		d.entries += slowEntries
		d.slowDue.Watch(d.slow, src, sl)
	}
	sl.Active(ts)
	d.slowIdle.touch(sl)
	since := ts - d.cfg.SlowWindow
	oldest := -1
	for i := range sl.probes {
		q := &sl.probes[i]
		if q.dst == p.dst && q.port == p.port && q.proto == p.proto {
			q.ts = max(q.ts, ts)
			return
		}
		if oldest < 0 || q.ts < sl.probes[oldest].ts {
			oldest = i
		}
	}
	np := slowProbe{p.dst, ts, p.port, p.proto}
	if len(sl.probes) < SlowCap && (oldest < 0 || sl.probes[oldest].ts >= since) {
		if len(sl.probes) == cap(sl.probes) {
			// Grown by hand: append would round the capacity up past SlowCap.
			grown := make([]slowProbe, len(sl.probes), min(2*cap(sl.probes), SlowCap))
			copy(grown, sl.probes)
			sl.probes = grown
		}
		sl.probes = append(sl.probes, np)
		d.entries++
	} else {
		sl.probes[oldest] = np // expired, or the record is full
	}
	sl.added++
	sl.uids.Add(ts, uid)
	if sl.Alerted {
		return
	}
	ports, hosts := 0, 0
	for i := range sl.probes {
		q := &sl.probes[i]
		if q.ts < since {
			continue
		}
		if q.dst == p.dst {
			ports++
		}
		if q.port == p.port && q.proto == p.proto {
			hosts++
		}
	}
	svc := service{p.port, p.proto}
	if d.slowVerticalOn(sl, p.dst, ports) || d.slowHorizontalOn(sl, svc, hosts, since) {
		sl.Reported(ts)
		d.slowDue.Watch(d.slow, sl.src, sl)
		d.emitSlow(sl, emit)
	}
}

// slowVerticalOn reports whether n ports probed on host h within the slow
// window make a slow vertical scan.
func (d *Detector) slowVerticalOn(sl *slowSource, h netip.Addr, n int) bool {
	return n >= d.cfg.SlowPorts && n > count(&sl.hostTalk, h)
}

// slowHorizontalOn reports whether n hosts probed on svc since since make
// a slow horizontal scan: more than the source's conversations there, in
// at most half as many networks as hosts.
func (d *Detector) slowHorizontalOn(sl *slowSource, svc service, n int, since float64) bool {
	if n < d.cfg.SlowHosts || n <= count(&sl.svcTalk, svc) {
		return false
	}
	var nets [SlowCap]netip.Addr
	k := 0
next:
	for i := range sl.probes {
		q := &sl.probes[i]
		if q.ts < since || q.svc() != svc {
			continue
		}
		w := network(q.dst)
		for _, m := range nets[:k] {
			if m == w {
				continue next
			}
		}
		nets[k] = w
		k++
	}
	return k*2 <= n
}

// dropSlow forgets src's slow record: its fast episode alerted and
// reports the probes from now on. A record that alerted is reported a
// last time.
func (d *Detector) dropSlow(src netip.Addr, emit alert.Emit) {
	sl := d.slow[src]
	if sl == nil {
		return
	}
	if sl.Alerted {
		d.emitSlow(sl, emit)
	}
	d.entries -= sl.size()
	delete(d.slow, src)
	d.slowIdle.remove(sl)
}

// emitSlow reports the slow record's vertical and horizontal findings.
func (d *Detector) emitSlow(sl *slowSource, emit alert.Emit) {
	since := sl.Last - d.cfg.SlowWindow
	var live []slowProbe
	for _, q := range sl.probes {
		if q.ts >= since {
			live = append(live, q)
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].ts < live[j].ts })
	if v := d.slowVertical(sl, live); v != nil {
		emit(*v)
		if v.Evidence["ipv6"] == true {
			v6 := *v
			v6.Class = "scan.v6"
			emit(v6)
		}
	}
	if h := d.slowHorizontal(sl, live, since); h != nil {
		emit(*h)
	}
}

// pace returns the probes an hour of n probes between first and last.
func pace(n int, first, last float64) float64 {
	return math.Round(float64(n)/max(last-first, 60)*3600*10) / 10
}

func (d *Detector) slowVertical(sl *slowSource, live []slowProbe) *alert.Alert {
	perHost := map[netip.Addr]int{}
	for _, q := range live {
		perHost[q.dst]++
	}
	var top netip.Addr
	best := 0
	for h, n := range perHost {
		if d.slowVerticalOn(sl, h, n) && (n > best || n == best && h.Less(top)) {
			top, best = h, n
		}
	}
	if best == 0 {
		return nil
	}
	var ports []string
	first := math.Inf(1)
	for _, q := range live {
		if q.dst == top {
			ports = append(ports, portName(q.svc()))
			first = min(first, q.ts)
		}
	}
	sort.Strings(ports)
	rate := pace(best, first, sl.Last)
	act := fmt.Sprintf("slowly scanned %d ports on %s (%.1f probes an hour)", best, top, rate)
	return &alert.Alert{
		TS: first, TSEnd: sl.Last, UIDs: sl.uids.List(),
		Src: sl.src.String(), Dst: top.String(), DstCount: 1,
		Class: "scan.vertical", Confidence: confidence(best, d.cfg.SlowPorts),
		Summary: fmt.Sprintf("%s %s between %s and %s.", sl.src, act, alert.Clock(first), alert.Clock(sl.Last)),
		Act:     act,
		Evidence: map[string]any{
			"kind": "vertical", "pace": "slow", "max_ports_per_host": best, "hosts": 1, "probes": best, "ports": ports, "probes_total": sl.added,
			"probes_per_hour": rate, "threshold_ports": d.cfg.SlowPorts, "window_s": d.cfg.SlowWindow, "ipv6": top.Is6(),
			"first": first, "last": sl.Last,
		},
		Detector: "scan",
	}
}

func (d *Detector) slowHorizontal(sl *slowSource, live []slowProbe, since float64) *alert.Alert {
	perSvc := map[service]int{}
	for _, q := range live {
		perSvc[q.svc()]++
	}
	var top service
	best := 0
	for svc, n := range perSvc {
		if d.slowHorizontalOn(sl, svc, n, since) && (n > best || n == best && svc.port < top.port) {
			top, best = svc, n
		}
	}
	if best == 0 {
		return nil
	}
	var targets []netip.Addr
	nets := map[netip.Addr]bool{}
	first := math.Inf(1)
	for _, q := range live {
		if q.svc() == top {
			targets = append(targets, q.dst)
			nets[network(q.dst)] = true
			first = min(first, q.ts)
		}
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Less(targets[j]) })
	class := "scan.horizontal"
	if targets[0].Is6() {
		class = "scan.v6"
	}
	rate := pace(best, first, sl.Last)
	act := fmt.Sprintf("slowly scanned %d hosts on %s (%.1f probes an hour)", best, portName(top), rate)
	return &alert.Alert{
		TS: first, TSEnd: sl.Last, UIDs: sl.uids.List(),
		Src: sl.src.String(), Dsts: many(addrStrings(targets)), DstCount: best,
		DstP: top.port, Proto: top.proto.String(),
		Class: class, Confidence: confidence(best, d.cfg.SlowHosts),
		Summary: fmt.Sprintf("%s %s between %s and %s.", sl.src, act, alert.Clock(first), alert.Clock(sl.Last)),
		Act:     act,
		Evidence: map[string]any{
			"kind": "horizontal", "pace": "slow", "hosts": best, "port": portName(top), "networks": len(nets), "probes_total": sl.added,
			"probes_per_hour": rate, "threshold_hosts": d.cfg.SlowHosts, "window_s": d.cfg.SlowWindow,
			"first": first, "last": sl.Last,
		},
		Detector: "scan",
	}
}
