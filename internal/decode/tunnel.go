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
		if arubaProto(proto) {
			// Aruba access points tunnel 802.11 frames in GRE.
			if len(in) == 0 {
				p.Truncated = true
				p.AddAnomaly(AnomalyBadGRE, uint32(proto))
				return stepDone, nil
			}
			return w.enterStep(TunnelGRE, stepWLAN, in)
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

// arubaProto reports whether a GRE protocol type is one Zeek takes for an
// Aruba 802.11 tunnel: 0x8200-style values with a zero low nibble (this
// covers the 0x8300-0x8370 range) and 0x9000.
func arubaProto(proto uint16) bool {
	return proto&0x8200 == 0x8200 && proto&0x0f == 0 || proto == 0x9000
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
	case hasPort(d.ayiya, ip.DstPort) || hasPort(d.ayiya, ip.SrcPort):
		return w.ayiya(b)
	}
	if d.detect {
		return w.detectUDPTunnel(b)
	}
	return stepDone, nil
}

// detectUDPTunnel is Zeek's protocol detection on UDP payloads whose port
// names no tunnel: AYIYA first, then Teredo (the order Zeek registers
// them). A payload that passes detection but not the tunnel's own checks
// stays plain UDP.
func (w *walker) detectUDPTunnel(b []byte) (step, []byte) {
	if len(b) >= 3 && b[1] == 0x52 && b[2] == 0x11 {
		return w.ayiya(b)
	}
	if teredoDetect(b) {
		return w.teredo(b)
	}
	return stepDone, nil
}

// teredoDetect is Zeek's Teredo detection: an IPv6 header whose source or
// destination is a Teredo address (2001:0::/32), or an authentication
// and/or origin indication header followed by an IPv6 version nibble.
func teredoDetect(b []byte) bool {
	if len(b) < 40 || (b[0]>>4 != 6 && (b[0] != 0 || b[1] > 1)) {
		return false
	}
	if b[0]>>4 == 6 && (be32(b[8:]) == 0x20010000 || be32(b[24:]) == 0x20010000) {
		return true
	}
	val := uint16(b[1])
	if val == 1 { // authentication: 13 bytes plus client ID and auth value
		n := 13 + int(b[2]) + int(b[3])
		if len(b) < n {
			return false
		}
		b = b[n:]
		if len(b) < 40 {
			return false
		}
		val = be16(b)
	}
	// An origin indication (8 bytes), then IPv6.
	return val == 0 && len(b) >= 48 && b[8]>>4 == 6
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

// teredo decodes Teredo (RFC 4380) as Zeek does: an optional
// authentication header, then an optional origin indication, then an IPv6
// packet whose length fills the UDP payload exactly, except that a bubble
// (no next header, no payload) may be followed by stray bytes. Anything
// else is plain UDP, without an anomaly (Zeek: an analyzer violation).
func (w *walker) teredo(b []byte) (step, []byte) {
	in := teredoInner(b)
	if in == nil {
		return stepDone, nil
	}
	switch total := 40 + int(be16(in[4:])); {
	case len(in) == total:
	case len(in) > total && total == 40 && in[6] == ProtoNoNext:
		w.p.AddAnomaly(AnomalyTeredoBubblePayload, uint32(len(in)-total))
	default: // cut by the snap length, or longer than stated
		return stepDone, nil
	}
	return w.enterStep(TunnelTeredo, stepIPv6, in)
}

// teredoInner walks Teredo's headers and returns the bytes from the inner
// IPv6 header on (at least 40), or nil.
func teredoInner(b []byte) []byte {
	var auth, origin bool
	for {
		if len(b) < 2 {
			return nil
		}
		switch tag := be16(b); {
		case tag == 0: // origin indication
			if origin || len(b) < 8 {
				return nil
			}
			origin = true
			b = b[8:]
		case tag == 1: // authentication, only first
			if origin || auth || len(b) < 4 {
				return nil
			}
			n := 13 + int(b[2]) + int(b[3])
			if len(b) < n {
				return nil
			}
			auth = true
			b = b[n:]
		case tag>>12 == 6:
			if len(b) < 40 {
				return nil
			}
			return b
		default:
			return nil
		}
	}
}

// ayiya decodes AYIYA (Anything In Anything): a header of 8 bytes, the
// identity (2^n bytes) and the signature (4n bytes), with n from the
// header's nibbles. Only the forward opcode (1) carries a packet, IPv4 or
// IPv6 as the next-header byte says.
func (w *walker) ayiya(b []byte) (step, []byte) {
	p := w.p
	// A short header is an analyzer violation in Zeek, not a weird.
	if len(b) < 8 {
		return stepDone, nil
	}
	hl := 8 + 1<<(b[0]>>4) + int(b[1]>>4)*4
	if len(b) < hl {
		return stepDone, nil
	}
	if b[2]&0x0f != 1 {
		return stepDone, nil // not a forwarded packet
	}
	in := b[hl:]
	if len(in) == 0 {
		p.AddAnomaly(AnomalyAYIYAEmpty, 0)
		return stepDone, nil
	}
	switch b[3] {
	case ProtoIPIP:
		return w.enterStep(TunnelAYIYA, stepIPv4, in)
	case ProtoIPv6:
		return w.enterStep(TunnelAYIYA, stepIPv6, in)
	}
	p.AddAnomaly(AnomalyInnerNotIP, uint32(b[3]))
	return stepDone, nil
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
