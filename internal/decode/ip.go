package decode

import "net/netip"

// IPv6 extension-header types walked besides those named in packet.go.
const (
	protoHIP   = 139
	protoShim6 = 140
)

func addr4(b []byte) netip.Addr  { return netip.AddrFrom4([4]byte(b[:4])) }
func addr16(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b[:16])) }

// commit marks the inner header of a pending tunnel as valid.
func (w *walker) commit() { w.pending = false }

func (w *walker) truncHeader(kind AnomalyKind, detail uint32) step {
	w.p.truncHeader(kind, detail)
	return stepDone
}

// truncHeader marks p truncated with an anomaly of kind.
func (p *Packet) truncHeader(kind AnomalyKind, detail uint32) {
	p.Truncated = true
	p.AddAnomaly(kind, detail)
}

// lengthPastWire reports whether an IP datagram that states length n,
// have bytes of it captured, is longer than the frame was on the wire too
// (AnomalyTruncatedIP, Zeek's truncated_IP_len): no host takes such a
// datagram, and, as Zeek does, nothing inside it is analysed. A datagram
// only cut by the snap length is no anomaly, as in Zeek.
func (w *walker) lengthPastWire(n, have int) bool {
	p := w.p
	if n <= have+max(p.WireLen-p.CapLen, 0) {
		return false
	}
	p.AddAnomaly(AnomalyTruncatedIP, uint32(n))
	return true
}

// ipv4 decodes an IPv4 header and what it carries.
func (w *walker) ipv4(b []byte) (step, []byte) {
	p := w.p
	if len(b) < 20 {
		return w.truncHeader(AnomalyTruncatedHeader, uint32(len(b))), nil
	}
	h := (*[20]byte)(b) // the fixed header
	if v := h[0] >> 4; v != 4 {
		w.p.AddAnomaly(AnomalyBadIPVersion, uint32(v))
		return stepDone, nil
	}
	ihl := int(h[0]&0x0f) << 2
	if ihl < 20 {
		p.AddAnomaly(AnomalyIPv4MinHeader, uint32(ihl))
		return stepDone, nil
	}
	tot := int(be16(h[2:4]))
	if len(b) < ihl && (tot == 0 || tot >= ihl) {
		// Zeek checks a total length shorter than the header first.
		return w.truncHeader(AnomalyInternallyTruncated, uint32(len(b))), nil
	}
	w.commit()
	ip := &p.IP
	ip.Version = 4
	ip.TTL = h[8]
	ip.Proto = h[9]
	ip.Src = addr4(h[12:16])
	ip.Dst = addr4(h[16:20])
	ip.HeaderLen = ihl
	if len(b) >= ihl && !ipv4HeaderSumOK(b[:ihl]) {
		p.AddAnomaly(AnomalyBadIPChecksum, uint32(be16(h[10:12])))
	}
	if tot < ihl {
		if tot != 0 {
			p.AddAnomaly(AnomalyIPLenTooSmall, uint32(tot))
			ip.IPLen = tot
			p.IPRaw = b
			return stepDone, nil
		}
		// Total length 0: the capture host's TCP segmentation offload
		// had not filled it in yet. Trust the captured length.
		p.AddAnomaly(AnomalyIPLenZero, 0)
		tot = len(b)
	}
	ip.IPLen = tot
	if tot > len(b) {
		p.Truncated = true
		if w.lengthPastWire(tot, len(b)) {
			p.IPRaw = b
			return stepDone, nil
		}
	} else {
		b = b[:tot] // drop Ethernet padding
	}
	p.IPRaw = b
	if fo := be16(h[6:8]); fo&0x3fff != 0 {
		f := &p.Frag
		f.IsFragment = true
		f.ID = uint32(be16(h[4:6]))
		f.Offset = int(fo&0x1fff) << 3
		f.More = fo&0x2000 != 0
		f.UnfragLen = ihl
		f.NextHeader = ip.Proto
		return stepDone, nil
	}
	return w.transport(b, ihl, false)
}

// ipv6 decodes an IPv6 header, its extension-header chain and what follows.
func (w *walker) ipv6(b []byte) (step, []byte) {
	p := w.p
	if len(b) < 40 {
		return w.truncHeader(AnomalyTruncatedHeader, uint32(len(b))), nil
	}
	if v := b[0] >> 4; v != 6 {
		w.p.AddAnomaly(AnomalyBadIPVersion, uint32(v))
		return stepDone, nil
	}
	w.commit()
	ip := &p.IP
	ip.Version = 6
	ip.TTL = b[7]
	ip.Src = addr16(b[8:24])
	ip.Dst = addr16(b[24:40])
	nh := b[6]
	ipLen := 40 + int(be16(b[4:]))
	if ipLen == 40 && nh == ProtoHopByHop {
		ipLen = len(b) // jumbogram (RFC 2675): the length is in an option
	}
	ip.IPLen = ipLen
	if ipLen > len(b) {
		p.Truncated = true
		if w.lengthPastWire(ipLen, len(b)) {
			p.IPRaw = b
			return stepDone, nil
		}
	} else {
		b = b[:ipLen]
	}
	p.IPRaw = b

	off, prev := 40, 6
	atomic := false
	maxExt := w.d.maxExt
	for n := 0; ; n++ {
		var l int
		if !isExtHeader(nh) {
			ip.Proto = nh
			ip.HeaderLen = off
			return w.transport(b, off, atomic)
		}
		if n >= maxExt {
			p.AddAnomaly(AnomalyExcessiveExtHeaders, uint32(n))
			ip.Proto = nh
			ip.HeaderLen = off
			return stepDone, nil
		}
		if off+8 > len(b) {
			// Every extension header is at least 8 bytes.
			return w.extOverrun(off, off+8, nh), nil
		}
		switch nh {
		case ProtoFragment:
			l = 8
		case ProtoAH:
			l = (int(b[off+1]) + 2) << 2
		default:
			l = (int(b[off+1]) + 1) << 3
		}
		if off+l > len(b) {
			return w.extOverrun(off, off+l, nh), nil
		}
		switch nh {
		case ProtoHopByHop:
			if n != 0 {
				p.AddAnomaly(AnomalyHopByHopNotFirst, uint32(off))
			}
		case ProtoRouting:
			if b[off+2] == 0 {
				p.AddAnomaly(AnomalyRoutingType0, uint32(b[off+3]))
			}
		case ProtoFragment:
			fo := be16(b[off+2:])
			if fo&0xfff9 == 0 {
				// Offset 0 and M=0: an atomic fragment (RFC 6946),
				// processed as if it were not fragmented.
				atomic = true
				p.AddAnomaly(AnomalyAtomicFragment, be32(b[off+4:]))
				break
			}
			f := &p.Frag
			f.IsFragment = true
			f.ID = be32(b[off+4:])
			f.Offset = int(fo>>3) << 3
			f.More = fo&1 != 0
			f.UnfragLen = off + 8
			f.FragHdrOff = off
			f.FragPrevNH = prev
			f.NextHeader = b[off]
			ip.Proto = b[off]
			ip.HeaderLen = off + 8
			return stepDone, nil
		}
		nh = b[off]
		prev = off
		off += l
	}
}

// isExtHeader reports whether next-header value nh is an IPv6 extension
// header that the walk steps over (or stops at, for a fragment header).
func isExtHeader(nh uint8) bool {
	switch nh {
	case ProtoHopByHop, ProtoDstOpts, ProtoRouting, ProtoMobility, protoHIP, protoShim6,
		ProtoFragment, ProtoAH:
		return true
	}
	return false
}

// extOverrun handles an extension header [off,end) running past the data:
// past the datagram's stated end it is malformed, otherwise the capture cut
// it.
func (w *walker) extOverrun(off, end int, nh uint8) step {
	p := w.p
	p.IP.Proto = nh
	p.IP.HeaderLen = off
	p.Truncated = true
	if end > p.IP.IPLen {
		p.AddAnomaly(AnomalyBadIPv6ExtLen, uint32(nh)<<16|uint32(off))
	} else {
		p.AddAnomaly(AnomalyTruncatedHeader, uint32(off))
	}
	return stepDone
}

// assignedProto reports whether IANA has assigned proto (0–145: an
// upper-layer protocol or an extension header, such as SCTP, DCCP,
// UDP-Lite, the Mobility Header or Ethernet after an SRv6 header). Such a
// payload is carried, not decoded, and is no anomaly: an unknown protocol
// or next header is one of the unassigned values, the experimental 253
// and 254, or 255.
func assignedProto(proto uint8) bool { return proto <= 145 }

// cutKind is the anomaly of a transport header of at least min bytes
// that was not captured whole, the IP payload stating plen bytes: kind when
// the datagram itself is too short for it, AnomalyInternallyTruncated when
// only the capture cut it (Zeek's CheckHeaderTrunc).
func cutKind(kind AnomalyKind, plen, min int) AnomalyKind {
	if plen >= min {
		return AnomalyInternallyTruncated
	}
	return kind
}

// synFlags records the odd flags a SYN carries beside it: FIN without
// RST (AnomalyBadTCPFlags), and Zeek's SynWeirds — RST (TCP_christmas) and
// URG (baroque_SYN).
func (p *Packet) synFlags(fl uint8) {
	if fl&(TCPFin|TCPRst) == TCPFin {
		p.AddAnomaly(AnomalyBadTCPFlags, uint32(fl))
	}
	if fl&TCPRst != 0 {
		p.AddAnomaly(AnomalyTCPChristmas, uint32(fl))
	}
	if fl&TCPUrg != 0 {
		p.AddAnomaly(AnomalyBaroqueSYN, uint32(fl))
	}
}

// tcp decodes the TCP header that seg, the IP payload as captured, starts
// with; plen is the payload length as the IP header states it.
func (p *Packet) tcp(seg []byte, plen int) {
	ip := &p.IP
	if len(seg) < 20 {
		p.truncHeader(cutKind(AnomalyTruncatedTCP, plen, 20), uint32(len(seg)))
		return
	}
	ip.SrcPort = be16(seg[0:])
	ip.DstPort = be16(seg[2:])
	ip.Seq = be32(seg[4:])
	ip.Ack = be32(seg[8:])
	fl := seg[13]
	ip.TCPFlags = fl
	ip.Window = be16(seg[14:])
	if fl&TCPSyn != 0 {
		if fl&(TCPFin|TCPRst|TCPUrg) != 0 {
			p.synFlags(fl)
		}
	} else if fl == 0 {
		p.AddAnomaly(AnomalyBadTCPFlags, 0)
	}
	doff := int(seg[12]>>4) << 2
	if doff < 20 || doff > plen {
		p.AddAnomaly(AnomalyBadTCPHeaderLen, uint32(doff))
		return
	}
	if doff > len(seg) {
		p.truncHeader(AnomalyTruncatedTCP, uint32(len(seg)))
		return
	}
	ip.HasL4 = true
	ip.L4Len = plen - doff
	p.Payload = seg[doff:]
	if fl&TCPSyn != 0 && ip.L4Len > 0 {
		p.AddAnomaly(AnomalySYNWithData, uint32(ip.L4Len))
	}
}

// transport decodes the transport header at b[hl:]; b is the datagram
// bounded by its stated length. atomic tells an IPv6 atomic fragment.
func (w *walker) transport(b []byte, hl int, atomic bool) (step, []byte) {
	p := w.p
	ip := &p.IP
	plen := ip.IPLen - hl // payload length as the IP header states it
	if plen < 0 {
		plen = 0
	}
	var seg []byte
	if hl <= len(b) {
		seg = b[hl:]
	}
	switch ip.Proto {
	case ProtoTCP:
		p.tcp(seg, plen)
		return stepDone, nil

	case ProtoUDP:
		if len(seg) < 8 {
			return w.truncHeader(cutKind(AnomalyTruncatedUDP, plen, 8), uint32(len(seg))), nil
		}
		ip.SrcPort = be16(seg[0:])
		ip.DstPort = be16(seg[2:])
		ulen := int(be16(seg[4:]))
		n := ulen
		if ulen != plen {
			p.AddAnomaly(AnomalyBadUDPLen, uint32(ulen))
			if ulen < 8 || ulen > plen {
				n = plen
			}
		}
		if n < 8 {
			n = 8
		}
		ip.HasL4 = true
		ip.L4Len = n - 8
		if n < len(seg) {
			seg = seg[:n]
		}
		p.Payload = seg[8:]
		if w.d.decodeTunnels {
			if w.d.maybeTunnelPort(ip.DstPort) || w.d.maybeTunnelPort(ip.SrcPort) {
				return w.udpTunnel(p.Payload)
			}
			if w.d.detect {
				return w.detectUDPTunnel(p.Payload)
			}
		}
		return stepDone, nil

	case ProtoICMP, ProtoICMPv6:
		if len(seg) < 8 {
			if len(seg) >= 2 {
				ip.ICMPType = seg[0]
				ip.ICMPCode = seg[1]
			}
			return w.truncHeader(cutKind(AnomalyTruncatedICMP, plen, 8), uint32(len(seg))), nil
		}
		t := seg[0]
		ip.ICMPType = t
		ip.ICMPCode = seg[1]
		if ip.Proto == ProtoICMP {
			switch t {
			case 0, 8, 13, 14, 15, 16, 17, 18: // echo, timestamp, info, mask
				ip.ICMPID = be16(seg[4:])
			}
		} else {
			switch t {
			case 128, 129:
				ip.ICMPID = be16(seg[4:])
			case 133, 134, 135, 136, 137:
				if atomic {
					p.AddAnomaly(AnomalyNDPInFragment, uint32(t))
				}
			}
		}
		ip.HasL4 = true
		ip.L4Len = max(plen-8, 0)
		p.Payload = seg[8:]
		return stepDone, nil

	case ProtoSCTP:
		if len(seg) < 12 {
			return w.truncHeader(AnomalyBadSCTP, uint32(len(seg))), nil
		}
		ip.SrcPort = be16(seg[0:])
		ip.DstPort = be16(seg[2:])
		ip.HasL4 = true
		ip.L4Len = max(plen-12, 0)
		p.Payload = seg[12:]
		return stepDone, nil
	}

	ip.L4Len = plen
	p.Payload = seg
	switch ip.Proto {
	case ProtoIPIP:
		if w.d.decodeTunnels && w.enter(TunnelIP) {
			return stepIPv4, seg
		}
	case ProtoIPv6:
		if w.d.decodeTunnels && w.enter(TunnelIP) {
			return stepIPv6, seg
		}
	case ProtoGRE:
		if w.d.decodeTunnels {
			return w.gre(seg)
		}
	default:
		if !assignedProto(ip.Proto) {
			if ip.Version == 6 {
				p.AddAnomaly(AnomalyUnknownIPv6NextHeader, uint32(ip.Proto))
			} else {
				p.AddAnomaly(AnomalyUnknownIPProto, uint32(ip.Proto))
			}
		}
	}
	return stepDone, nil
}
