package synth

import (
	"bufio"
	"encoding/binary"
	"io"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// Write writes a pcap (Ethernet, nanosecond timestamps) of synthetic mixed
// traffic described by cfg to w. The output depends only on cfg.
func Write(w io.Writer, cfg Config) (Stats, error) {
	return writePcap(w, func(out emitFunc) (Stats, error) { return generate(cfg, out) })
}

// writePcap writes the frames gen hands its emitFunc to w as an Ethernet
// pcap, buffered, and flushes it when gen is done.
func writePcap(w io.Writer, gen func(emitFunc) (Stats, error)) (Stats, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw, err := capture.NewWriter(bw, decode.LinkEthernet, SnapLen)
	if err != nil {
		return Stats{}, err
	}
	st, err := gen(func(ts int64, fr []byte) error { return cw.WritePacket(ts, fr, len(fr)) })
	if err != nil {
		return st, err
	}
	return st, bw.Flush()
}

// emit builds the frame for step st of flow f.
func (g *gen) emit(f *flow, st *step) []byte {
	switch st.op {
	case opTCP:
		return g.emitTCP(f, st)
	case opUDP:
		u := g.l4(f)
		copy(u[8:], f.arena[st.seq:st.seq+uint32(st.n)])
		return g.udp(f, int(st.dir), int(st.n))
	case opICMP:
		return g.emitICMP(f, st)
	default:
		return g.emitFrag(f, st)
	}
}

func (g *gen) emitICMP(f *flow, st *step) []byte {
	dir := int(st.dir)
	u := g.l4(f)
	m := f.arena[st.seq : st.seq+uint32(st.n)]
	copy(u, m)
	if st.flags&stepMcast == 0 {
		return g.icmp(f, dir, len(m))
	}
	// Neighbour solicitation: to the target's solicited-node multicast group.
	peer := &f.ep[1-dir]
	saved := *peer
	tgt := m[8:24]
	peer.ip = [16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: tgt[13], 14: tgt[14], 15: tgt[15]}
	peer.mac = [6]byte{0x33, 0x33, 0xff, tgt[13], tgt[14], tgt[15]}
	fr := g.icmp(f, dir, len(m))
	*peer = saved
	return fr
}

func (g *gen) emitFrag(f *flow, st *step) []byte {
	dir := int(st.dir)
	b := g.buf[headroom:]
	n := int(st.n)
	copy(b[20:], f.arena[st.seq:st.seq+uint32(n)])
	src, dst := &f.ep[dir], &f.ep[1-dir]
	putIPv4(b, 0, 20+n, st.id, false, int(st.off)*8, st.flags&stepMF != 0, src.ttl, protoUDP, src.ip[:4], dst.ip[:4])
	return g.frame(f, dir, 20+n, false)
}

func (g *gen) emitTCP(f *flow, st *step) []byte {
	dir := int(st.dir)
	u := g.l4(f)
	src, dst := &f.ep[dir], &f.ep[1-dir]
	tsval := f.tsBase[dir] + uint32((st.at-f.t0)/1e6)
	tsecr := f.tsLast[1-dir]
	o := u[20:]
	ol := 0
	win := f.win[dir]
	be := binary.BigEndian
	switch {
	case st.flags&tcpSyn != 0:
		ol, win = f.synOptions(o, dir, tsval, tsecr)
	case st.flags&tcpRst != 0:
		win = 0
	case f.tsOn:
		o[0], o[1], o[2], o[3] = 1, 1, 8, 10
		be.PutUint32(o[4:], tsval)
		be.PutUint32(o[8:], tsecr)
		ol = 12
	}
	f.tsLast[dir] = tsval
	hl := 20 + ol
	n := int(st.n)
	if n > 0 {
		f.msg[dir].read(u[hl : hl+n])
	}
	be.PutUint16(u, src.port)
	be.PutUint16(u[2:], dst.port)
	be.PutUint32(u[4:], st.seq)
	ack := st.ack
	if st.flags&tcpAck == 0 {
		ack = 0
	}
	be.PutUint32(u[8:], ack)
	u[12] = byte(hl/4) << 4
	u[13] = st.flags
	be.PutUint16(u[14:], win)
	u[16], u[17], u[18], u[19] = 0, 0, 0, 0
	be.PutUint16(u[16:], fold(sum(pseudo(f.v6, &src.ip, &dst.ip, protoTCP, hl+n), u[:hl+n])))
	ipn := g.ip(f, dir, protoTCP, hl+n, f.synK == 0)
	return g.frame(f, dir, ipn, f.v6)
}

// synOptions writes the SYN or SYN/ACK options for direction dir and
// returns their length and the window to announce.
func (f *flow) synOptions(o []byte, dir int, tsval, tsecr uint32) (int, uint16) {
	be := binary.BigEndian
	mss := f.mssOpt[dir]
	switch f.synK {
	case 1: // nmap-like
		o[0], o[1] = 2, 4
		be.PutUint16(o[2:], mss)
		return 4, 1024
	case 2: // zmap-like
		return 0, 65535
	}
	if dir == 1 {
		win := uint16(65160)
		if f.v6 {
			win = 64800
		}
		if f.tsOn {
			copy(o, []byte{2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7})
			be.PutUint16(o[2:], mss)
			be.PutUint32(o[8:], tsval)
			be.PutUint32(o[12:], tsecr)
			return 20, win
		}
		copy(o, []byte{2, 4, 0, 0, 1, 1, 4, 2, 1, 3, 3, 7})
		be.PutUint16(o[2:], mss)
		return 12, win
	}
	p := profiles[f.os]
	win := p.synWin4
	if f.v6 {
		win = p.synWin6
	}
	switch f.os {
	case osWindows:
		copy(o, []byte{2, 4, 0, 0, 1, 3, 3, 8, 1, 1, 4, 2})
		be.PutUint16(o[2:], mss)
		return 12, win
	case osMac:
		copy(o, []byte{2, 4, 0, 0, 1, 3, 3, 6, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 4, 2, 0, 0})
		be.PutUint16(o[2:], mss)
		be.PutUint32(o[12:], tsval)
		return 24, win
	default:
		copy(o, []byte{2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7})
		be.PutUint16(o[2:], mss)
		be.PutUint32(o[8:], tsval)
		return 20, win
	}
}
