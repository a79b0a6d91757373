package synth

import (
	"encoding/binary"
	"math"
	"time"
)

// Flow kinds.
const (
	kDNS = iota
	kTLS
	kHTTP
	kSSH
	kScan // SYN-only (S0)
	kRej  // SYN -> RST/ACK (REJ)
	kNTP
	kSyslog
	kStatsd
	kPing // ICMP or ICMPv6 echo
	kND   // ICMPv6 neighbour solicitation/advertisement
	kVXLAN
	k6in4
	kIKE // IKEv2 with fragmented IKE_AUTH datagrams
	numKinds
)

// kindInfo: share of flows, whether the kind may run over IPv6, whether it
// is a budgeted TCP session, and its expected packets when not.
var kindInfo = [numKinds]struct {
	share  float64
	v6     bool
	tcp    bool
	expPkt float64
}{
	kDNS:    {0.30, true, false, 2.9},
	kTLS:    {0.22, true, true, 0},
	kHTTP:   {0.09, true, true, 0},
	kSSH:    {0.02, true, true, 0},
	kScan:   {0.07, false, false, 1.4},
	kRej:    {0.03, false, false, 2},
	kNTP:    {0.04, true, false, 3.5},
	kSyslog: {0.025, true, false, 6},
	kStatsd: {0.025, true, false, 10},
	kPing:   {0.04, true, false, 7},
	kND:     {0.015, true, false, 2},
	kVXLAN:  {0.006, false, true, 0},
	k6in4:   {0.004, false, true, 0},
	kIKE:    {0.005, false, false, 10},
}

func (g *gen) initKinds() {
	var tot, v6, tcp, other float64
	for _, k := range kindInfo {
		tot += k.share
	}
	g.kindCum = make([]float64, numKinds)
	c := 0.0
	for i, k := range kindInfo {
		c += k.share / tot
		g.kindCum[i] = c
		if k.v6 {
			v6 += k.share / tot
		}
		if k.tcp {
			tcp += k.share / tot
		} else {
			other += k.share / tot * k.expPkt
		}
	}
	g.kindCum[numKinds-1] = 1
	g.p6 = min(1, g.cfg.IPv6Share/v6)
	g.tcpShare = tcp
	g.avgOther = other / (1 - tcp)
}

// Step operations.
const (
	opTCP  = iota
	opUDP  // payload from arena[seq:seq+n]
	opICMP // ICMP message (header included) from arena[seq:seq+n]
	opFrag // IPv4 fragment: n bytes of the UDP datagram in arena from seq; IP ID id, offset off*8
)

// Step flags beyond TCP's.
const (
	stepMcast = 0x01 // opICMP: send to the target's solicited-node group
	stepMF    = 0x01 // opFrag: more fragments
)

// step is one planned packet.
type step struct {
	at    int64 // ns
	seq   uint32
	ack   uint32
	n     int32
	id    uint16 // opFrag: IP ID
	off   uint16 // opFrag: fragment offset in bytes / 8
	op    uint8
	dir   uint8
	flags uint8
}

// flow is one connection; ep[0] is the originator.
type flow struct {
	next int64
	id   uint64
	kind uint8
	v6   bool
	vlan uint16
	ep   [2]endpoint
	tun  *tunnel

	q  []step
	qi int

	budget  int // packets planned for this flow
	sent    int
	planned int
	t0      int64 // first packet
	last    int64 // time of the last planned packet
	phase   int
	exch    int

	// TCP
	os     int
	pseq   [2]uint32 // next sequence number to plan per direction
	win    [2]uint16
	mssOpt [2]uint16 // MSS option each side announces
	mss    [2]int    // payload per full segment per direction
	tsOn   bool
	tsBase [2]uint32
	tsLast [2]uint32
	cwnd   [2]int
	rtt    int64
	bw     float64 // ns per byte
	closeK int
	chatty bool // TLS: small exchanges (API, push, websocket) rather than object fetches
	synK   int  // SYN style: 0 by OS, 1 nmap-like, 2 zmap-like
	name   string

	msg   [2]message
	arena []byte
	tunS  tunnel
}

func (g *gen) alloc() *flow {
	if n := len(g.free); n > 0 {
		f := g.free[n-1]
		g.free = g.free[:n-1]
		return f
	}
	return &flow{}
}

func (g *gen) release(f *flow) {
	q, a := f.q[:0], f.arena[:0]
	m0, m1 := f.msg[0].parts[:0], f.msg[1].parts[:0]
	*f = flow{}
	f.q, f.arena = q, a
	f.msg[0].parts, f.msg[1].parts = m0, m1
	g.free = append(g.free, f)
}

// add appends a step to the flow's queue.
func (f *flow) add(s step) {
	f.q = append(f.q, s)
	f.planned++
	if s.at > f.last {
		f.last = s.at
	}
}

// sortQueue orders the steps planned since index from by time, stably.
func (f *flow) sortQueue(from int) {
	q := f.q
	for i := from + 1; i < len(q); i++ {
		s := q[i]
		j := i
		for j > from && q[j-1].at > s.at {
			q[j] = q[j-1]
			j--
		}
		q[j] = s
	}
}

// pickKind draws a flow kind.
func (g *gen) pickKind() int {
	u := g.rng.Float64()
	for i, c := range g.kindCum {
		if u < c {
			return i
		}
	}
	return numKinds - 1
}

// newFlow creates a flow starting at t and plans its first packets.
func (g *gen) newFlow(t int64) *flow {
	f := g.alloc()
	g.nextID++
	f.id = g.nextID
	f.t0, f.last = t, t
	k := g.pickKind()
	f.kind = uint8(k)
	if kindInfo[k].v6 {
		f.v6 = g.chance(g.p6)
	}
	if k == kND && !f.v6 {
		f.kind, k = kPing, kPing
	}
	hi := skewed(g.rng, g.nHosts)
	if g.chance(0.5) {
		hi = g.rng.IntN(g.nHosts)
	}
	h := g.host(hi)
	f.vlan = h.vlan
	f.os = h.os
	c, s := &f.ep[0], &f.ep[1]
	c.mac, s.mac = h.mac, gwMAC
	c.ttl = profiles[h.os].ttl
	s.ttl = g.remoteTTL()
	c.ipid = uint16(g.rng.Uint32())
	s.ipid = uint16(g.rng.Uint32())
	c.flow = g.rng.Uint32() & 0xfffff
	s.flow = g.rng.Uint32() & 0xfffff
	c.port = g.ephemeral(h.os)
	if f.v6 {
		c.ip = h.ip6
	} else {
		copy(c.ip[:4], h.ip4[:])
	}
	sv4, sv6 := server(skewed(g.rng, numServers))
	if f.v6 {
		s.ip = sv6
	} else {
		copy(s.ip[:4], sv4[:])
	}
	f.rtt = max(g.dur(25*time.Millisecond, 1.0), int64(300*time.Microsecond))

	if kindInfo[k].tcp {
		g.initTCP(f, k)
		g.refill(f)
		return f
	}
	switch k {
	case kDNS:
		g.planDNS(f)
	case kScan, kRej:
		g.planScan(f, &h)
	case kNTP:
		g.planNTP(f)
	case kSyslog, kStatsd:
		g.planOneWay(f, &h)
	case kPing:
		g.planPing(f)
	case kND:
		g.planND(f, &h)
	case kIKE:
		g.planIKE(f)
	}
	f.budget = f.planned
	g.planned += f.planned
	f.sortQueue(0)
	return f
}

func (g *gen) ephemeral(os int) uint16 {
	p := profiles[os]
	return uint16(p.portLo + g.rng.IntN(p.portHi-p.portLo+1))
}

// tcpBudget draws how many packets a TCP session should have so that the
// whole capture lands near Config.Packets.
func (g *gen) tcpBudget() int {
	remFlows := float64(g.cfg.Flows - g.created)
	remTCP := max(1, remFlows*g.tcpShare)
	remOther := remFlows * (1 - g.tcpShare) * g.avgOther
	m := (float64(g.cfg.Packets-g.planned) - remOther) / remTCP
	m = max(m, 12)
	const sigma = 1.0
	b := math.Exp(math.Log(m) - sigma*sigma/2 + sigma*g.rng.NormFloat64())
	b = min(b, max(40*m, 2000))
	return max(int(b), 10)
}

// initTCP sets up a TCP session of kind k.
func (g *gen) initTCP(f *flow, k int) {
	c, s := &f.ep[0], &f.ep[1]
	switch k {
	case kHTTP:
		s.port = 80
		if g.chance(0.1) {
			s.port = 8080
		}
	case kTLS:
		s.port = 443
		if g.chance(0.05) {
			s.port = 8443
		} else if g.chance(0.03) {
			s.port = 993
		}
	case kSSH:
		s.port = 22
	case kVXLAN:
		s.port = 80
		g.setupVXLAN(f)
	case k6in4:
		s.port = 443
		g.setup6in4(f)
	}
	// Some sessions are inbound to the site's own web server.
	if (k == kHTTP || k == kTLS) && g.chance(0.08) {
		cl := f.ep[1].ip
		c.ip, s.ip = cl, [16]byte{}
		if f.v6 {
			s.ip = web6
		} else {
			copy(s.ip[:4], web4[:])
		}
		c.mac, s.mac = gwMAC, webMAC
		c.ttl, s.ttl = g.remoteTTL(), 64
		c.port = uint16(49152 + g.rng.IntN(16384))
		f.os = g.rng.IntN(3)
		f.vlan = 0
	}
	f.budget = g.tcpBudget()
	if f.tun != nil {
		f.budget = min(f.budget, 300)
	}
	g.planned += f.budget
	f.name = hostNames()[skewed(g.rng, numNames)]
	f.chatty = g.chance(0.5)
	p := profiles[f.os]
	f.tsOn = p.ts
	f.win[0] = p.winLo + uint16(g.rng.IntN(int(p.winHi-p.winLo)+1))
	f.win[1] = uint16(235 + g.rng.IntN(300))
	mtu := 1500
	switch {
	case f.tun != nil && f.tun.kind == encapVXLAN:
		mtu = 1450
	case f.tun != nil && f.tun.kind == encap6in4:
		mtu = 1480
	}
	hl := 40
	if f.v6 {
		hl = 60
	}
	f.mssOpt[0] = uint16(mtu - hl)
	f.mssOpt[1] = uint16(1500 - hl)
	if g.chance(0.15) {
		f.mssOpt[1] = uint16(1400 - hl) // a server behind a tunnel or a clamp
	}
	m := int(min(f.mssOpt[0], f.mssOpt[1]))
	if f.tsOn {
		m -= 12
	}
	f.mss = [2]int{m, m}
	f.cwnd = [2]int{10, 10}
	f.tsBase = [2]uint32{g.rng.Uint32(), g.rng.Uint32()}
	f.bw = 8e9 / g.lognorm(150e6, 1.0) // ns per byte
	f.bw = min(f.bw, 8e9/5e6)
	switch r := g.rng.IntN(100); {
	case r < 50:
		f.closeK = closeFINClient
	case r < 80:
		f.closeK = closeFINServer
	case r < 90:
		f.closeK = closeRST
	default:
		f.closeK = closeNone
	}
	if k == kSSH && f.closeK == closeFINServer {
		f.closeK = closeFINClient
	}
	if f.closeK == closeNone && g.chance(0.5) {
		f.closeK = closeFINClient
	}
}

const (
	closeFINClient = iota
	closeFINServer
	closeRST
	closeNone
)

func (g *gen) setupVXLAN(f *flow) {
	t := &f.tunS
	*t = tunnel{kind: encapVXLAN, vni: uint32(1000 + g.rng.IntN(9000))}
	a, b := g.rng.IntN(8), 8+g.rng.IntN(8)
	for d, k := range [2]int{a, b} {
		o := &t.outer[d]
		o.ip = [16]byte{10, 30, 0, byte(10 + k)}
		o.mac = [6]byte{0x00, 0x50, 0x56, 0x30, 0x00, byte(10 + k)}
		o.ttl = 64
		o.port = uint16(49152 + g.rng.IntN(16384))
		o.ipid = uint16(g.rng.Uint32())
	}
	ci, si := byte(2+g.rng.IntN(200)), byte(2+g.rng.IntN(200))
	t.innerMAC[0] = [6]byte{0x02, 0x42, 0xac, 0x14, byte(a), ci}
	t.innerMAC[1] = [6]byte{0x02, 0x42, 0xac, 0x14, byte(b), si}
	f.tun = t
	f.v6 = false
	f.ep[0].ip = [16]byte{172, 20, byte(a), ci}
	f.ep[1].ip = [16]byte{172, 20, byte(b), si}
	f.ep[0].ttl, f.ep[1].ttl = 64, 64
	f.ep[0].port = g.ephemeral(osLinux)
	f.os = osLinux
}

func (g *gen) setup6in4(f *flow) {
	t := &f.tunS
	*t = tunnel{kind: encap6in4}
	t.outer[0] = f.ep[0]
	t.outer[0].ip = [16]byte{}
	copy(t.outer[0].ip[:4], f.ep[0].ip[:4])
	if f.v6 {
		h := g.host(int(mix64(uint64(f.id)) % uint64(g.nHosts)))
		copy(t.outer[0].ip[:4], h.ip4[:])
		t.outer[0].mac = h.mac
	}
	t.outer[1] = endpoint{mac: gwMAC, ttl: g.remoteTTL(), ipid: uint16(g.rng.Uint32())}
	copy(t.outer[1].ip[:4], broker4[:])
	t.outer[0].ttl = 64
	f.tun = t
	f.v6 = true
	sub := uint16(g.rng.IntN(4096))
	f.ep[0].ip = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0x04, 0x70, byte(sub >> 8), byte(sub), 15: 2}
	_, sv6 := server(skewed(g.rng, numServers))
	f.ep[1].ip = sv6
	f.ep[0].ttl = 64
}

// refill plans the next phase of a TCP session (nothing for other kinds:
// they are fully planned at creation).
func (g *gen) refill(f *flow) {
	if !kindInfo[f.kind].tcp || f.phase == 3 {
		return
	}
	from := len(f.q)
	switch f.phase {
	case 0:
		g.planHandshake(f)
		f.phase = 1
	case 1:
		// Teardown takes up to four packets; an exchange at least three.
		if f.exch > 0 && (f.planned+7 > f.budget || f.last > g.end) {
			g.planTeardown(f)
			f.phase = 3
			break
		}
		g.planExchange(f)
		f.exch++
	}
	f.sortQueue(from)
}

// think returns the idle time before the next exchange, shrunk so the
// session fits in what is left of the capture.
func (g *gen) think(f *flow, median time.Duration, sigma float64) int64 {
	d := g.dur(median, sigma)
	left := max(0, f.budget-f.planned)
	rounds := float64(left)/6 + 1
	avail := float64(g.end - f.last)
	if avail <= 0 {
		return g.between(50*time.Microsecond, time.Millisecond)
	}
	return max(min(d, int64(avail/rounds)), int64(20*time.Microsecond))
}

func (g *gen) planHandshake(f *flow) {
	t := f.t0
	isn0, isn1 := g.rng.Uint32(), g.rng.Uint32()
	f.add(step{at: t, op: opTCP, dir: 0, flags: tcpSyn, seq: isn0})
	t += f.rtt
	f.add(step{at: t, op: opTCP, dir: 1, flags: tcpSyn | tcpAck, seq: isn1, ack: isn0 + 1})
	t += g.between(20*time.Microsecond, 300*time.Microsecond)
	f.add(step{at: t, op: opTCP, dir: 0, flags: tcpAck, seq: isn0 + 1, ack: isn1 + 1})
	f.pseq = [2]uint32{isn0 + 1, isn1 + 1}
}

// ackDelay is when receiver rx's ACK shows at the capture point after the
// data it acknowledges passed it (the capture sits next to the clients).
func (g *gen) ackDelay(f *flow, rx int) int64 {
	if rx == 0 {
		return g.between(15*time.Microsecond, 150*time.Microsecond)
	}
	return f.rtt + g.between(0, 200*time.Microsecond)
}

// sendMsg plans the segments carrying f.msg[dir] starting at t, with the
// peer's ACKs; finalAck >= 0 adds a (delayed) ACK for an odd last segment.
// It returns the time of the last data segment and whether the peer still
// owes an ACK for it.
func (g *gen) sendMsg(f *flow, dir int, t int64, finalAck int64) (int64, bool) {
	left := f.msg[dir].left
	rx := 1 - dir
	unacked := 0
	inRound := 0
	for left > 0 {
		n := min(f.mss[dir], left)
		left -= n
		fl := uint8(tcpAck)
		if left == 0 {
			fl |= tcpPsh
		}
		f.add(step{at: t, op: opTCP, dir: uint8(dir), flags: fl, n: int32(n), seq: f.pseq[dir], ack: f.pseq[rx]})
		f.pseq[dir] += uint32(n)
		unacked++
		if unacked == 2 {
			f.add(step{at: t + g.ackDelay(f, rx), op: opTCP, dir: uint8(rx), flags: tcpAck, seq: f.pseq[rx], ack: f.pseq[dir]})
			unacked = 0
		}
		if left == 0 {
			break
		}
		inRound++
		if inRound >= f.cwnd[dir] {
			t += f.rtt
			inRound = 0
			f.cwnd[dir] = min(f.cwnd[dir]*2, 256)
		} else {
			t += int64(float64(n+66) * f.bw)
		}
	}
	if unacked > 0 && finalAck >= 0 {
		f.add(step{at: t + g.ackDelay(f, rx) + finalAck, op: opTCP, dir: uint8(rx), flags: tcpAck, seq: f.pseq[rx], ack: f.pseq[dir]})
		unacked = 0
	}
	return t, unacked > 0
}

// segs is how many segments n bytes take in direction dir.
func (f *flow) segs(dir, n int) int { return (n + f.mss[dir] - 1) / f.mss[dir] }

// maxResp caps a response so the session stays within its packet budget:
// each two data segments cost one ACK, and teardown needs four packets.
func (f *flow) maxResp(dir int, reqSegs int) int {
	left := f.budget - f.planned - reqSegs - 5
	return max(1, left*2/3) * f.mss[dir]
}

func (g *gen) planExchange(f *flow) {
	f.arena = f.arena[:0]
	f.msg[0].reset()
	f.msg[1].reset()
	switch f.kind {
	case kHTTP, kVXLAN:
		g.planHTTP(f)
	case kTLS, k6in4:
		g.planTLS(f)
	case kSSH:
		g.planSSH(f)
	}
}

// exchange plans a request from the client followed by the server's reply
// after a round trip and serverDelay.
func (g *gen) exchange(f *flow, t int64, serverDelay int64) {
	end, owed := g.sendMsg(f, 0, t, -1)
	if f.msg[1].left == 0 {
		// No reply: the server ACKs the request.
		if owed {
			f.add(step{at: end + f.rtt, op: opTCP, dir: 1, flags: tcpAck, seq: f.pseq[1], ack: f.pseq[0]})
		}
		return
	}
	rt := end + f.rtt + serverDelay
	if owed && serverDelay > int64(40*time.Millisecond) {
		f.add(step{at: end + f.rtt + int64(40*time.Millisecond), op: opTCP, dir: 1, flags: tcpAck, seq: f.pseq[1], ack: f.pseq[0]})
	}
	g.sendMsg(f, 1, rt, g.between(0, 40*time.Millisecond))
}

func (g *gen) exchStart(f *flow) int64 {
	if f.exch == 0 || f.exch == 1 && (f.kind == kTLS || f.kind == k6in4) {
		return f.last + g.between(30*time.Microsecond, 2*time.Millisecond)
	}
	return f.last + g.think(f, 300*time.Millisecond, 1.5)
}

func (g *gen) planHTTP(f *flow) {
	t := g.exchStart(f)
	post := g.chance(0.06)
	body := 0
	if post {
		body = 40 + g.rng.IntN(900)
	}
	a := httpRequest(f.arena, g.rng, f.name, post, body)
	reqEnd := len(a)
	f.msg[0].lit(a[:reqEnd:reqEnd])
	if post {
		f.msg[0].fill(body, poolText, g.rng.IntN(textPoolSize))
	}
	status := 200
	switch r := g.rng.IntN(100); {
	case r < 8:
		status = 304
	case r < 13:
		status = 404
	case r < 18:
		status = 301
	case r < 20:
		status = 500
	}
	kind := httpBodies[g.rng.IntN(len(httpBodies))]
	n := 0
	switch status {
	case 200:
		n = int(g.lognorm(1800, 1.7))
	case 304:
		kind.ctype = ""
	default:
		n = 120 + g.rng.IntN(300)
		kind = httpBodies[0]
	}
	reqSegs := f.segs(0, f.msg[0].left)
	n = max(0, min(n, f.maxResp(1, reqSegs)-400, 4<<20))
	// Bodies whose format a dissector checks are built to be well formed;
	// the literal pieces go to the arena after the header.
	rm := &f.msg[1]
	rm.parts = append(rm.parts, part{}) // the header, once its length is known
	switch kind.ctype {
	case "":
	case "application/json":
		n = min(n, 32<<10)
		bs := len(a)
		a = jsonBody(a, g.rng, n)
		rm.lit(a[bs:len(a):len(a)])
		reqEnd = len(a)
	case "image/png":
		n = max(n, 80)
		a = pngBody(rm, a, g.rng, n)
		reqEnd = len(a)
	case "image/jpeg":
		n = max(n, 40)
		a = jpegBody(rm, a, g.rng, n)
		reqEnd = len(a)
	default:
		rm.fill(n, kind.pool, g.rng.IntN(randPoolSize))
	}
	n = rm.left
	a = httpResponseHeader(a, g.rng, status, kind.ctype, n, (t+f.rtt)/1e9)
	rm.parts[0] = part{lit: a[reqEnd:len(a):len(a)], n: len(a) - reqEnd}
	rm.left += len(a) - reqEnd
	f.arena = a
	g.exchange(f, t, g.dur(3*time.Millisecond, 1.2))
}

func (g *gen) planTLS(f *flow) {
	t := g.exchStart(f)
	a := f.arena
	switch f.exch {
	case 0:
		a = tlsClientHello(a, g.rng, f.name)
		f.msg[0].lit(a[:len(a):len(a)])
		s := len(a)
		a = tlsServerHello(a, g.rng)
		f.msg[1].lit(a[s:len(a):len(a)])
		a = tlsAppData(&f.msg[1], a, g.rng, 1800+g.rng.IntN(3500))
		f.arena = a
		g.exchange(f, t, g.dur(2*time.Millisecond, 1.0))
		return
	case 1:
		s := len(a)
		a = append(a, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01)
		f.msg[0].lit(a[s:len(a):len(a)])
		a = tlsAppData(&f.msg[0], a, g.rng, 53)
	}
	reqMed, respMed, respSigma := 350.0, 1500.0, 1.8
	if f.chatty {
		// API polling, push channels, websockets: small records both ways.
		reqMed, respMed, respSigma = 160, 280, 1.0
	}
	a = tlsAppData(&f.msg[0], a, g.rng, max(30, int(g.lognorm(reqMed, 0.8))))
	reqSegs := f.segs(0, f.msg[0].left)
	n := max(25, min(int(g.lognorm(respMed, respSigma)), f.maxResp(1, reqSegs)-50, 4<<20))
	if g.chance(0.1) {
		n = 0 // e.g. an HTTP/2 PING/SETTINGS ack that needs no reply
	}
	a = tlsAppData(&f.msg[1], a, g.rng, n)
	f.arena = a
	g.exchange(f, t, g.dur(5*time.Millisecond, 1.3))
}

func (g *gen) planSSH(f *flow) {
	a := f.arena
	switch f.exch {
	case 0:
		// The server speaks first after the handshake.
		t := f.last + g.between(500*time.Microsecond, 5*time.Millisecond)
		a = append(a, sshServerBanners[g.rng.IntN(len(sshServerBanners))]...)
		f.msg[1].lit(a[:len(a):len(a)])
		s := len(a)
		a = append(a, sshClientBanners[g.rng.IntN(len(sshClientBanners))]...)
		f.msg[0].lit(a[s:len(a):len(a)])
		f.arena = a
		end, _ := g.sendMsg(f, 1, t, -1)
		g.sendMsg(f, 0, end+g.between(200*time.Microsecond, 2*time.Millisecond), -1)
		return
	case 1:
		a = sshKexInit(a, g.rng)
		f.msg[0].lit(a[:len(a):len(a)])
		s := len(a)
		a = sshKexInit(a, g.rng)
		f.msg[1].lit(a[s:len(a):len(a)])
	case 2:
		// ECDH init; reply + NEWKEYS.
		var p [64]byte
		pl := append(p[:0], 30, 0, 0, 0, 32)
		pl = appendRand(pl, g.rng, 32)
		a = sshPacket(a, g.rng, pl)
		f.msg[0].lit(a[:len(a):len(a)])
		f.msg[1].fill(564+8*g.rng.IntN(60), poolRand, g.rng.IntN(randPoolSize))
		s := len(a)
		a = append(a, 0, 0, 0, 12, 10, 21)
		a = appendRand(a, g.rng, 10)
		f.msg[1].lit(a[s:len(a):len(a)])
	default:
		// Encrypted: NEWKEYS+auth, then keystrokes (36-byte packets echoed)
		// and command output.
		c, s := 36, 36
		switch {
		case f.exch == 3:
			c, s = 16+44+8*g.rng.IntN(60), 44+8*g.rng.IntN(8)
		case g.chance(0.25):
			s = 52 + 8*int(g.lognorm(40, 1.5))
		}
		s = min(s, f.maxResp(1, 1))
		f.msg[0].fill(c, poolRand, g.rng.IntN(randPoolSize))
		f.msg[1].fill(s, poolRand, g.rng.IntN(randPoolSize))
	}
	f.arena = a
	t := f.last + g.between(100*time.Microsecond, 2*time.Millisecond)
	if f.exch > 3 {
		t = f.last + g.think(f, 180*time.Millisecond, 0.9)
		f.ep[0].tos, f.ep[1].tos = 0x48, 0x48
	}
	g.exchange(f, t, g.between(50*time.Microsecond, 3*time.Millisecond))
}

func (g *gen) planTeardown(f *flow) {
	t := f.last + g.think(f, 50*time.Millisecond, 2.0)
	c, s := f.pseq[0], f.pseq[1]
	small := func() int64 { return g.between(20*time.Microsecond, 500*time.Microsecond) }
	switch f.closeK {
	case closeFINClient:
		f.add(step{at: t, op: opTCP, dir: 0, flags: tcpFin | tcpAck, seq: c, ack: s})
		t += f.rtt
		if g.chance(0.3) {
			f.add(step{at: t, op: opTCP, dir: 1, flags: tcpAck, seq: s, ack: c + 1})
			t += g.between(50*time.Microsecond, 20*time.Millisecond)
		}
		f.add(step{at: t, op: opTCP, dir: 1, flags: tcpFin | tcpAck, seq: s, ack: c + 1})
		f.add(step{at: t + small(), op: opTCP, dir: 0, flags: tcpAck, seq: c + 1, ack: s + 1})
	case closeFINServer:
		f.add(step{at: t, op: opTCP, dir: 1, flags: tcpFin | tcpAck, seq: s, ack: c})
		t += small()
		f.add(step{at: t, op: opTCP, dir: 0, flags: tcpFin | tcpAck, seq: c, ack: s + 1})
		f.add(step{at: t + f.rtt, op: opTCP, dir: 1, flags: tcpAck, seq: s + 1, ack: c + 1})
	case closeRST:
		if g.chance(0.6) {
			f.add(step{at: t, op: opTCP, dir: 0, flags: tcpRst | tcpAck, seq: c, ack: s})
		} else {
			f.add(step{at: t, op: opTCP, dir: 1, flags: tcpRst, seq: s})
		}
	case closeNone:
	}
	f.pseq[0]++
	f.pseq[1]++
}

// ---------------------------------------------------------------------------
// Scans and rejected connections

var scanPorts = []uint16{22, 23, 80, 443, 445, 3389, 8080, 21, 25, 110, 139, 143, 1433, 3306, 5432, 5900, 6379, 8443, 9200, 27017}

func (g *gen) planScan(f *flow, h *host) {
	f.v6 = false
	sc := g.rng.IntN(scanners)
	c, s := &f.ep[0], &f.ep[1]
	// The scanner is outside; the target is the monitored host.
	*c = endpoint{mac: gwMAC, ttl: uint8(37 + g.rng.IntN(20)), ipid: uint16(g.rng.Uint32())}
	sip := scanner(sc)
	copy(c.ip[:4], sip[:])
	*s = endpoint{mac: h.mac, ttl: 64, ipid: uint16(g.rng.Uint32())}
	copy(s.ip[:4], h.ip4[:])
	c.port = uint16(40000 + sc*1000 + g.rng.IntN(1000))
	s.port = scanPorts[skewed(g.rng, len(scanPorts))]
	if g.chance(0.2) {
		s.port = uint16(1 + g.rng.IntN(65535))
	}
	f.synK = 1 + sc%2
	if f.synK == 2 {
		c.ipid = 54321
	}
	f.mssOpt = [2]uint16{1460, 1460}
	isn := g.rng.Uint32()
	t := f.t0
	f.add(step{at: t, op: opTCP, dir: 0, flags: tcpSyn, seq: isn})
	if f.kind == kRej {
		f.add(step{at: t + f.rtt, op: opTCP, dir: 1, flags: tcpRst | tcpAck, seq: 0, ack: isn + 1})
		return
	}
	if g.chance(0.3) {
		f.add(step{at: t + int64(time.Second) + g.between(0, 10*time.Millisecond), op: opTCP, dir: 0, flags: tcpSyn, seq: isn})
	}
}

// ---------------------------------------------------------------------------
// UDP and ICMP kinds, planned whole at creation.

// udpMsg records payload bytes appended to f.arena since start as one step.
func (f *flow) udpMsg(at int64, dir int, start int) {
	f.add(step{at: at, op: opUDP, dir: uint8(dir), seq: uint32(start), n: int32(len(f.arena) - start)})
}

func (f *flow) icmpMsg(at int64, dir int, start int, flags uint8) {
	f.add(step{at: at, op: opICMP, dir: uint8(dir), seq: uint32(start), n: int32(len(f.arena) - start), flags: flags})
}

func (g *gen) planDNS(f *flow) {
	s := &f.ep[1]
	s.port = 53
	local := g.chance(0.8)
	if local {
		s.ttl = 64
		if f.v6 {
			s.ip = resolv6
		} else {
			s.ip = [16]byte{}
			copy(s.ip[:4], resolv4[:])
		}
	}
	name := hostNames()[skewed(g.rng, numNames)]
	qtypes := []uint16{dnsTypeA}
	switch r := g.rng.IntN(100); {
	case r < 40:
		qtypes = []uint16{dnsTypeA, dnsTypeAAAA}
	case r < 55:
		qtypes = []uint16{dnsTypeAAAA}
	case r < 60:
		qtypes = []uint16{dnsTypeHTTPS}
	case r < 64:
		qtypes = []uint16{dnsTypePTR}
	}
	nx := g.chance(0.04)
	if nx {
		name = nxNames[g.rng.IntN(len(nxNames))]
		if g.chance(0.5) {
			name = "wpad." + name
		}
	}
	edns := g.chance(0.6)
	lat := g.dur(800*time.Microsecond, 1.0)
	if !local || g.chance(0.25) {
		lat = f.rtt + g.dur(20*time.Millisecond, 1.0)
	}
	t := f.t0
	for _, qt := range qtypes {
		qn := name
		if qt == dnsTypePTR {
			sv, _ := server(g.rng.IntN(numServers))
			qn = ptrName(sv)
		}
		id := uint16(g.rng.Uint32())
		qs := len(f.arena)
		f.arena = dnsQuery(f.arena, id, qn, qt, edns)
		f.udpMsg(t, 0, qs)
		q := f.arena[qs:]
		if g.chance(0.02) {
			// Unanswered; the stub retries after a second.
			t += int64(time.Second)
			qs = len(f.arena)
			f.arena = append(f.arena, q...)
			f.udpMsg(t, 0, qs)
			q = f.arena[qs:]
		}
		ans := dnsAnswer{ttl: uint32(30 + g.rng.IntN(3570))}
		switch {
		case nx:
			ans.rcode = 3
		case qt == dnsTypePTR:
			ans.ptr = "host-" + string(rune('a'+g.rng.IntN(26))) + ".example.net"
		case qt == dnsTypeHTTPS:
			// NODATA
		default:
			if g.chance(0.25) {
				ans.cname = "edge-" + string(rune('a'+g.rng.IntN(26))) + string(rune('0'+g.rng.IntN(10))) + ".cdn.example.net"
			}
			k := 1 + g.rng.IntN(4)
			if qt == dnsTypeAAAA && g.chance(0.2) {
				k = 0 // no AAAA for this name
			}
			for i := 0; i < k; i++ {
				v4, v6 := server(skewed(g.rng, numServers))
				if qt == dnsTypeA {
					ans.addrs = append(ans.addrs, v4[:])
				} else {
					ans.addrs = append(ans.addrs, v6[:])
				}
			}
		}
		rs := len(f.arena)
		f.arena = dnsResponse(f.arena, q, qt, edns, &ans)
		f.udpMsg(t+lat+g.between(0, 300*time.Microsecond), 1, rs)
		t += g.between(10*time.Microsecond, 200*time.Microsecond)
	}
}

var nxNames = []string{"localdomain", "corp.internal", "printer.lan", "isatap.home", "gooogle.com", "office.local"}

// ptrName is the in-addr.arpa name of v4.
func ptrName(v4 [4]byte) string {
	b := make([]byte, 0, 32)
	for i := 3; i >= 0; i-- {
		b = appendUint(b, int(v4[i]))
		b = append(b, '.')
	}
	return string(append(b, "in-addr.arpa"...))
}

func appendUint(b []byte, v int) []byte {
	if v >= 10 {
		b = appendUint(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

func (g *gen) planNTP(f *flow) {
	s := &f.ep[1]
	s.port = 123
	if g.chance(0.4) {
		f.ep[0].port = 123
	}
	polls := 1 + g.rng.IntN(3)
	t := f.t0
	for i := 0; i < polls && (i == 0 || t < g.end); i++ {
		cs := len(f.arena)
		f.arena = ntpClient(f.arena, t)
		f.udpMsg(t, 0, cs)
		rx := t + f.rtt/2
		ss := len(f.arena)
		var ref [4]byte
		copy(ref[:], s.ip[:4])
		ref[3] ^= 0x5a
		f.arena = ntpServer(f.arena, ref, f.arena[cs+40:cs+48], rx, rx+g.between(5*time.Microsecond, 50*time.Microsecond))
		f.udpMsg(t+f.rtt+g.between(0, 100*time.Microsecond), 1, ss)
		t += int64(64 * time.Second)
	}
}

func (g *gen) planOneWay(f *flow, h *host) {
	s := &f.ep[1]
	s.ttl = 64
	if f.kind == kSyslog {
		s.port = 514
		if g.chance(0.5) {
			f.ep[0].port = 514
		}
		g.local(f, syslog4, syslog6)
	} else {
		s.port = 8125
		g.local(f, statsd4, statsd6)
	}
	k := 1 + g.rng.IntN(11)
	if f.kind == kStatsd {
		k = 1 + g.rng.IntN(19)
	}
	t := f.t0
	name := h.name()
	for i := 0; i < k && (i == 0 || t < g.end); i++ {
		ms := len(f.arena)
		if f.kind == kSyslog {
			f.arena = syslogLine(f.arena, g.rng, t, name)
		} else {
			f.arena = statsdLine(f.arena, g.rng)
		}
		f.udpMsg(t, 0, ms)
		t += g.dur(3*time.Second, 1.0)
	}
}

// local points the flow's server side at a site service.
func (g *gen) local(f *flow, v4 [4]byte, v6 [16]byte) {
	s := &f.ep[1]
	if f.v6 {
		s.ip = v6
	} else {
		s.ip = [16]byte{}
		copy(s.ip[:4], v4[:])
	}
}

func (g *gen) planPing(f *flow) {
	k := 1 + g.rng.IntN(5)
	if g.chance(0.5) {
		k = 4
	}
	id := uint16(g.rng.Uint32())
	t := f.t0
	reqT, repT := uint8(8), uint8(0)
	if f.v6 {
		reqT, repT = 128, 129
	}
	lost := g.chance(0.1)
	for i := 1; i <= k && (i == 1 || t < g.end); i++ {
		ms := len(f.arena)
		a := append(f.arena, reqT, 0, 0, 0, byte(id>>8), byte(id), byte(i>>8), byte(i))
		if f.os == osWindows {
			a = append(a, "abcdefghijklmnopqrstuvwabcdefghi"...)
		} else {
			a = binary.LittleEndian.AppendUint64(a, uint64(t/1e9))
			a = binary.LittleEndian.AppendUint64(a, uint64(t%1e9/1e3))
			for b := 0x10; b < 0x38; b++ {
				a = append(a, byte(b))
			}
		}
		f.arena = a
		f.icmpMsg(t, 0, ms, 0)
		if !lost {
			rs := len(f.arena)
			f.arena = append(f.arena, f.arena[ms:]...)
			f.arena[rs] = repT
			f.icmpMsg(t+f.rtt, 1, rs, 0)
		}
		t += int64(time.Second) + g.between(0, time.Millisecond)
	}
}

// planND plans a neighbour solicitation for the router (or a peer) and its
// advertisement.
func (g *gen) planND(f *flow, h *host) {
	c, s := &f.ep[0], &f.ep[1]
	c.ip = h.ll6
	c.ttl, s.ttl = 255, 255
	s.ip = gwLL
	s.mac = gwMAC
	isRouter := true
	if g.chance(0.4) {
		p := g.host(g.rng.IntN(g.nHosts))
		if p.vlan == h.vlan {
			s.ip, s.mac, isRouter = p.ll6, p.mac, false
		}
	}
	ns := len(f.arena)
	a := append(f.arena, 135, 0, 0, 0, 0, 0, 0, 0)
	a = append(a, s.ip[:]...)
	a = append(a, 1, 1)
	a = append(a, c.mac[:]...)
	f.arena = a
	f.icmpMsg(f.t0, 0, ns, stepMcast)
	na := len(a)
	fl := byte(0x60) // solicited, override
	if isRouter {
		fl |= 0x80
	}
	a = append(a, 136, 0, 0, 0, fl, 0, 0, 0)
	a = append(a, s.ip[:]...)
	a = append(a, 2, 1)
	a = append(a, s.mac[:]...)
	f.arena = a
	f.icmpMsg(f.t0+g.between(50*time.Microsecond, 2*time.Millisecond), 1, na, 0)
}

// planIKE plans an IKEv2 IKE_SA_INIT and an IKE_AUTH carrying certificates,
// whose datagrams are larger than the MTU and so IPv4-fragmented.
func (g *gen) planIKE(f *flow) {
	f.v6 = false
	f.ep[0].port, f.ep[1].port = 500, 500
	spiI, spiR := g.rng.Uint64(), g.rng.Uint64()
	t := f.t0
	for i := 0; i < 4; i++ {
		dir := i % 2
		ds := len(f.arena)
		a := append(f.arena, make([]byte, 8)...) // UDP header, filled below
		a = binary.BigEndian.AppendUint64(a, spiI)
		r := spiR
		if i == 0 {
			r = 0
		}
		a = binary.BigEndian.AppendUint64(a, r)
		xt, fl := byte(34), byte(0x08) // IKE_SA_INIT, initiator
		if i >= 2 {
			xt = 35 // IKE_AUTH
		}
		if dir == 1 {
			fl = 0x20 // response
		}
		first := byte(33) // SA
		if i >= 2 {
			first = 46 // SK
		}
		a = append(a, first, 0x20, xt, fl)
		a = binary.BigEndian.AppendUint32(a, uint32(i/2))
		lenAt := len(a)
		a = append(a, 0, 0, 0, 0)
		if i < 2 {
			a = ikeInit(a, g.rng)
		} else {
			// Encrypted and authenticated: IV, ciphertext (certificates,
			// AUTH, SAs, traffic selectors), ICV.
			inner := byte(35) // IDi
			if dir == 1 {
				inner = 36 // IDr
			}
			ct := 16 * ((1700 + g.rng.IntN(3000)) / 16)
			a = append(a, inner, 0)
			a = binary.BigEndian.AppendUint16(a, uint16(4+16+ct+16))
			a = appendRand(a, g.rng, 16+ct+16)
		}
		binary.BigEndian.PutUint32(a[lenAt:], uint32(len(a)-ds-8))
		f.arena = a
		dg := a[ds:]
		src, dst := &f.ep[dir], &f.ep[1-dir]
		binary.BigEndian.PutUint16(dg, src.port)
		binary.BigEndian.PutUint16(dg[2:], dst.port)
		binary.BigEndian.PutUint16(dg[4:], uint16(len(dg)))
		c := fold(sum(pseudo(false, &src.ip, &dst.ip, protoUDP, len(dg)), dg))
		if c == 0 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(dg[6:], c)
		src.ipid++
		const maxFrag = 1480
		for off := 0; off < len(dg); off += maxFrag {
			n := min(maxFrag, len(dg)-off)
			var mf uint8
			if off+n < len(dg) {
				mf = stepMF
			}
			f.add(step{at: t, op: opFrag, dir: uint8(dir), seq: uint32(ds + off), n: int32(n), id: src.ipid, off: uint16(off / 8), flags: mf})
			t += g.between(5*time.Microsecond, 40*time.Microsecond)
		}
		if dir == 0 {
			t += f.rtt
		} else {
			t += g.between(time.Millisecond, 20*time.Millisecond)
		}
	}
}
