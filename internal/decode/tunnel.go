package decode

// GRE header bits (RFC 2784, RFC 2890, RFC 2637).
const (
	greChecksum = 0x8000
	greRouting  = 0x4000
	greKey      = 0x2000
	greSeq      = 0x1000
	greAck      = 0x0080 // enhanced GRE (version 1)
)

const maxGTPExt = 16 // GTP-U extension headers walked

// gre decodes a GRE header (p.IP is the datagram carrying it) and enters
// the tunnel when it carries something we decode.
func (w *walker) gre(b []byte) (step, []byte) {
	p := w.p
	if len(b) < 4 {
		p.Truncated = true
		p.AddAnomaly(AnomalyBadGRE, uint32(len(b)))
		return stepDone, nil
	}
	fl := be16(b)
	proto := be16(b[2:])
	switch ver := fl & 7; ver {
	case 0:
		if fl&greRouting != 0 {
			p.AddAnomaly(AnomalyBadGRE, uint32(fl))
			return stepDone, nil
		}
		off := 4
		if fl&greChecksum != 0 {
			off += 4
		}
		if fl&greKey != 0 {
			off += 4
		}
		if fl&greSeq != 0 {
			off += 4
		}
		if len(b) < off {
			p.Truncated = true
			p.AddAnomaly(AnomalyBadGRE, uint32(len(b)))
			return stepDone, nil
		}
		in := b[off:]
		switch proto {
		case EtherTypeTEB:
			return w.enterStep(TunnelGRE, stepEther, in)
		case EtherTypePPTP: // PPP over plain GRE
			pp, rest := pppPeek(in)
			return w.greToPPP(pp, rest)
		case EtherTypeWCCP:
			// WCCPv2 puts a 4-byte redirect header before the IPv4
			// packet; WCCPv1 does not.
			if len(in) > 0 && in[0]>>4 != 4 {
				if len(in) < 4 {
					p.Truncated = true
					p.AddAnomaly(AnomalyBadGRE, uint32(proto))
					return stepDone, nil
				}
				in = in[4:]
			}
			return w.enterStep(TunnelGRE, stepIPv4, in)
		case EtherTypeERSPAN2:
			if fl&greSeq == 0 {
				// ERSPAN type I: no sequence number, no ERSPAN header.
				return w.enterStep(TunnelERSPAN, stepEther, in)
			}
			if len(in) < 8 {
				p.Truncated = true
				p.AddAnomaly(AnomalyBadGRE, uint32(proto))
				return stepDone, nil
			}
			if in[0]>>4 != 1 {
				p.AddAnomaly(AnomalyBadGRE, uint32(proto))
				return stepDone, nil
			}
			return w.enterStep(TunnelERSPAN, stepEther, in[8:])
		case EtherTypeERSPAN3:
			if len(in) < 12 {
				p.Truncated = true
				p.AddAnomaly(AnomalyBadGRE, uint32(proto))
				return stepDone, nil
			}
			if in[0]>>4 != 2 {
				p.AddAnomaly(AnomalyBadGRE, uint32(proto))
				return stepDone, nil
			}
			hl := 12
			if in[11]&1 != 0 { // O bit: platform-specific subheader
				hl += 8
			}
			if len(in) < hl {
				p.Truncated = true
				p.AddAnomaly(AnomalyBadGRE, uint32(proto))
				return stepDone, nil
			}
			switch ft := (be16(in[10:]) >> 10) & 0x1f; ft {
			case 0: // Ethernet frame
				return w.enterStep(TunnelERSPAN, stepEther, in[hl:])
			case 2: // IP packet
				return w.enterStep(TunnelERSPAN, stepIP, in[hl:])
			default:
				p.AddAnomaly(AnomalyInnerNotIP, uint32(ft))
				return stepDone, nil
			}
		}
		// An EtherType: IPv4, IPv6, MPLS, ARP...; others are
		// AnomalyInnerNotIP.
		w.et = proto
		return w.enterStep(TunnelGRE, stepEtherType, in)

	case 1:
		// Enhanced GRE (PPTP, RFC 2637): key (payload length, call ID)
		// always present; no checksum or routing.
		if proto != EtherTypePPTP || fl&greKey == 0 || fl&(greChecksum|greRouting) != 0 {
			p.AddAnomaly(AnomalyBadGRE, uint32(fl))
			return stepDone, nil
		}
		off := 8
		if fl&greSeq != 0 {
			off += 4
		}
		if fl&greAck != 0 {
			off += 4
		}
		if len(b) < off {
			p.Truncated = true
			p.AddAnomaly(AnomalyBadGRE, uint32(len(b)))
			return stepDone, nil
		}
		plen := int(be16(b[4:]))
		if plen == 0 {
			return stepDone, nil // acknowledgment only
		}
		in := b[off:]
		if len(in) > plen {
			in = in[:plen]
		}
		pp, rest := pppPeek(in)
		return w.greToPPP(pp, rest)

	default:
		p.AddAnomaly(AnomalyBadGRE, uint32(ver))
		return stepDone, nil
	}
}

// pppPeek reads a PPP header (optional address and control fields, one- or
// two-byte protocol); proto is 0 when there is none.
func pppPeek(b []byte) (proto uint16, rest []byte) {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	switch {
	case len(b) >= 1 && b[0]&1 != 0: // protocol-field compression
		return uint16(b[0]), b[1:]
	case len(b) >= 2:
		return be16(b), b[2:]
	}
	return 0, nil
}

// greToPPP enters a GRE tunnel carrying PPP when PPP carries IP; PPP
// control, compressed or encrypted data is left alone.
func (w *walker) greToPPP(proto uint16, b []byte) (step, []byte) {
	switch proto {
	case 0x0021:
		return w.enterStep(TunnelGRE, stepIPv4, b)
	case 0x0057:
		return w.enterStep(TunnelGRE, stepIPv6, b)
	}
	return stepDone, nil
}

func (w *walker) enterStep(kind TunnelKind, st step, b []byte) (step, []byte) {
	if !w.enter(kind) {
		return stepDone, nil
	}
	return st, b
}

// udpTunnel looks for a tunnel in the UDP payload b of p.IP. A payload that
// does not parse as the tunnel its port suggests stays plain UDP.
func (w *walker) udpTunnel(b []byte) (step, []byte) {
	d := w.d
	ip := &w.p.IP
	switch {
	case hasPort(d.vxlan, ip.DstPort):
		return w.vxlan(b)
	case hasPort(d.geneve, ip.DstPort):
		return w.geneve(b)
	case hasPort(d.gtpu, ip.DstPort) || hasPort(d.gtpu, ip.SrcPort):
		return w.gtpu(b)
	case hasPort(d.teredo, ip.DstPort) || hasPort(d.teredo, ip.SrcPort):
		return w.teredo(b)
	case hasPort(d.greUDP, ip.DstPort):
		return w.gre(b)
	}
	return stepDone, nil
}

// shortTunnelHeader records a tunnel header shorter than needed; the
// capture cut it when the UDP length says more bytes were sent.
func (w *walker) shortTunnelHeader(kind AnomalyKind, have, need int) (step, []byte) {
	p := w.p
	if p.IP.L4Len >= need {
		p.Truncated = true
	}
	p.AddAnomaly(kind, uint32(have))
	return stepDone, nil
}

// vxlan decodes a VXLAN header (RFC 7348): flags with the I bit, VNI.
func (w *walker) vxlan(b []byte) (step, []byte) {
	if len(b) < 8 {
		return w.shortTunnelHeader(AnomalyBadVXLAN, len(b), 8)
	}
	if b[0]&0x08 == 0 {
		w.p.AddAnomaly(AnomalyBadVXLAN, uint32(b[0]))
		return stepDone, nil
	}
	return w.enterStep(TunnelVXLAN, stepEther, b[8:])
}

// geneve decodes a Geneve header (RFC 8926).
func (w *walker) geneve(b []byte) (step, []byte) {
	p := w.p
	if len(b) < 8 {
		return w.shortTunnelHeader(AnomalyBadGeneve, len(b), 8)
	}
	if v := b[0] >> 6; v != 0 {
		p.AddAnomaly(AnomalyBadGeneve, uint32(v))
		return stepDone, nil
	}
	hl := 8 + int(b[0]&0x3f)<<2
	if len(b) < hl {
		return w.shortTunnelHeader(AnomalyBadGeneve, len(b), hl)
	}
	proto := be16(b[2:])
	if proto == EtherTypeTEB {
		return w.enterStep(TunnelGeneve, stepEther, b[hl:])
	}
	w.et = proto // IPv4, IPv6, ARP...; others are AnomalyInnerNotIP
	return w.enterStep(TunnelGeneve, stepEtherType, b[hl:])
}

// teredo decodes Teredo (RFC 4380): optional authentication and origin
// indication headers, then an IPv6 packet that must fit the UDP payload.
// Anything else is plain UDP, without an anomaly.
func (w *walker) teredo(b []byte) (step, []byte) {
	stated := w.p.IP.L4Len // UDP payload length as stated
	off := 0
	if len(b) >= 4 && b[0] == 0 && b[1] == 1 { // authentication indicator
		off = 13 + int(b[2]) + int(b[3])
	}
	if len(b) >= off+8 && b[off] == 0 && b[off+1] == 0 { // origin indication
		off += 8
	}
	if len(b) < off+40 {
		return stepDone, nil
	}
	in := b[off:]
	if in[0]>>4 != 6 || off+40+int(be16(in[4:])) > stated {
		return stepDone, nil
	}
	return w.enterStep(TunnelTeredo, stepIPv6, in)
}

// gtpu decodes a GTPv1-U header (3GPP TS 29.281). Only G-PDUs carry user
// packets; other messages (echo, error indication...) stay plain UDP.
func (w *walker) gtpu(b []byte) (step, []byte) {
	p := w.p
	if len(b) < 8 {
		if len(b) > 0 && b[0]>>5 == 1 {
			return w.shortTunnelHeader(AnomalyBadGTP, len(b), 8)
		}
		return stepDone, nil
	}
	fl := b[0]
	if fl>>5 != 1 || fl&0x10 == 0 || b[1] != 0xff {
		return stepDone, nil // not GTPv1 (or GTP'), or not a G-PDU
	}
	end := 8 + int(be16(b[2:]))
	hl := 8
	if fl&0x07 != 0 { // E, S or PN: sequence, N-PDU, next extension type
		hl = 12
		if len(b) < hl {
			return w.shortTunnelHeader(AnomalyBadGTP, len(b), hl)
		}
		next := b[11]
		if fl&0x04 != 0 {
			for i := 0; next != 0; i++ {
				if i >= maxGTPExt {
					p.AddAnomaly(AnomalyBadGTP, uint32(i))
					return stepDone, nil
				}
				if len(b) < hl+1 {
					return w.shortTunnelHeader(AnomalyBadGTP, len(b), hl+1)
				}
				el := int(b[hl]) << 2
				if el == 0 {
					p.AddAnomaly(AnomalyBadGTP, uint32(hl))
					return stepDone, nil
				}
				if len(b) < hl+el {
					return w.shortTunnelHeader(AnomalyBadGTP, len(b), hl+el)
				}
				next = b[hl+el-1]
				hl += el
			}
		}
	}
	if end < hl || end > p.IP.L4Len {
		p.AddAnomaly(AnomalyBadGTP, uint32(end))
		return stepDone, nil
	}
	in := b[hl:]
	if end-hl < len(in) {
		in = in[:end-hl]
	}
	if len(in) == 0 {
		if end > hl {
			p.Truncated = true
		}
		p.AddAnomaly(AnomalyBadGTP, uint32(end))
		return stepDone, nil
	}
	switch in[0] >> 4 {
	case 4:
		return w.enterStep(TunnelGTPU, stepIPv4, in)
	case 6:
		return w.enterStep(TunnelGTPU, stepIPv6, in)
	}
	p.AddAnomaly(AnomalyInnerNotIP, uint32(in[0]>>4))
	return stepDone, nil
}
