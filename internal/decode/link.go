package decode

import (
	"encoding/binary"
)

// Further link types decoded besides those named in packet.go.
const (
	LinkPPP       LinkType = 9   // PPP, with or without HDLC-like framing
	LinkFDDI      LinkType = 10  // FDDI (frame control, MACs, 802.2 LLC)
	LinkPPPHDLC   LinkType = 50  // PPP in HDLC-like framing
	LinkCHDLC     LinkType = 104 // Cisco HDLC
	LinkIEEE80211 LinkType = 105 // 802.11 without radio header
	LinkRadiotap  LinkType = 127 // radiotap header, then 802.11
	LinkNFLOG     LinkType = 239 // Linux netfilter log
)

// EtherTypes the link layer recognises.
const (
	EtherTypeIPv4     = 0x0800
	EtherTypeARP      = 0x0806
	EtherTypeRARP     = 0x8035
	EtherTypeVLAN     = 0x8100
	EtherTypeIPv6     = 0x86DD
	EtherTypeMPLS     = 0x8847
	EtherTypeMPLSMC   = 0x8848
	EtherTypePPPoED   = 0x8863
	EtherTypePPPoES   = 0x8864
	EtherTypeQinQ     = 0x88A8
	EtherTypePBB      = 0x88E7
	EtherTypeVNTag    = 0x8926
	EtherTypeQinQOld1 = 0x9100
	EtherTypeQinQOld2 = 0x9200
	EtherTypeTEB      = 0x6558 // transparent Ethernet bridging (GRE, Geneve)
	EtherTypeERSPAN2  = 0x88BE
	EtherTypeERSPAN3  = 0x22EB
	EtherTypePPTP     = 0x880B // PPP in GRE (enhanced GRE for PPTP)
	EtherTypeWCCP     = 0x883E // WCCP redirection in GRE
	EtherTypeFabric   = 0x8903 // Cisco FabricPath (outer header before an Ethernet frame)
)

// fabricPathLen is the Cisco FabricPath header: outer destination and
// source switch addresses, EtherType 0x8903, FTag and TTL. The original
// Ethernet frame follows it whole.
const fabricPathLen = 16

// Bounds on link-layer loops.
const (
	maxLinkTags  = 16 // VLAN/VN-Tag/PBB tags walked per Ethernet frame
	maxMPLS      = 16 // MPLS labels walked before AnomalyBadMPLS
	maxSteps     = 64 // layer steps per Decode (tunnels bound this long before)
	maxNFLOGTLVs = 64
)

// step is the next layer the walker expects.
type step uint8

const (
	stepDone      step = iota
	stepEther          // an Ethernet header starts the bytes
	stepEtherType      // the bytes are the payload of EtherType w.et
	stepIP             // IPv4 or IPv6 by the version nibble
	stepIPv4
	stepIPv6
	stepWLAN // an 802.11 header starts the bytes (Aruba GRE)
)

// walker is the per-call decoding state; it lives on the caller's stack.
type walker struct {
	d *Decoder
	p *Packet
	// et is the EtherType for stepEtherType.
	et uint16
	// inTunnel is set once a tunnel was entered: link headers found from
	// then on are not recorded in the Packet's link-layer fields.
	inTunnel bool
	// pending is set between entering a tunnel and finding its inner IP
	// header valid; if decoding stops before, the tunnel is rolled back and
	// the outer datagram stays p.IP.
	pending                bool
	savedRaw, savedPayload []byte
	// subframeAt is where the A-MSDU subframe to decode starts in its
	// aggregate (0: the first; DecodeNextSubframe sets the others). Only
	// the first A-MSDU met is walked by subframe (amsduMet).
	subframeAt int
	amsduMet   bool
	// inSubframe is set when a later subframe (subframeAt > 0) was
	// reached, with the tunnels recorded then: what carried reports.
	inSubframe      bool
	subframeTunnels uint8
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

func (w *walker) run(st step, b []byte) {
	for i := 0; i < maxSteps && st != stepDone; i++ {
		switch st {
		case stepEther:
			st, b = w.ether(b)
		case stepEtherType:
			st, b = w.etherType(w.et, b)
		case stepIP:
			st = w.ipByNibble(b)
		case stepIPv4:
			st, b = w.ipv4(b)
		case stepIPv6:
			st, b = w.ipv6(b)
		case stepWLAN:
			st, b = w.wlan(b)
		default:
			st = stepDone
		}
	}
	if w.pending {
		w.rollback()
	}
}

// enter records a tunnel whose outer datagram is p.IP and prepares p for
// the inner packet. It returns false (with AnomalyTunnelTooDeep) when
// MaxTunnels are already recorded; p.IP then stays the outer datagram.
func (w *walker) enter(kind TunnelKind) bool {
	p := w.p
	if int(p.NumTunnels) >= MaxTunnels {
		p.AddAnomaly(AnomalyTunnelTooDeep, uint32(kind))
		return false
	}
	p.Tunnels[p.NumTunnels] = Tunnel{Kind: kind, Outer: p.IP, OuterRaw: p.IPRaw}
	p.NumTunnels++
	w.savedRaw, w.savedPayload = p.IPRaw, p.Payload
	p.IP = Datagram{}
	p.IPRaw = nil
	p.Payload = nil
	w.pending = true
	w.inTunnel = true
	return true
}

// rollback undoes the last enter: the inner packet was not IP.
func (w *walker) rollback() {
	p := w.p
	p.NumTunnels--
	t := &p.Tunnels[p.NumTunnels]
	p.IP = t.Outer
	*t = Tunnel{}
	p.IPRaw, p.Payload = w.savedRaw, w.savedPayload
	w.savedRaw, w.savedPayload = nil, nil
	w.pending = false
}

func (w *walker) truncLink() step {
	w.p.Truncated = true
	w.p.AddAnomaly(AnomalyTruncatedLink, 0)
	return stepDone
}

// notIP records that the bytes after a link header are not something we
// decode: inside a tunnel that is AnomalyInnerNotIP, else kind.
func (w *walker) notIP(kind AnomalyKind, detail uint32) step {
	if w.pending {
		kind = AnomalyInnerNotIP
	}
	w.p.AddAnomaly(kind, detail)
	return stepDone
}

// link decodes the frame's link-layer header and says what follows.
func (w *walker) link(data []byte, link LinkType) (step, []byte) {
	p := w.p
	switch link {
	case LinkEthernet:
		return stepEther, data
	case LinkRaw, LinkRawAlt12, LinkRawAlt14:
		return stepIP, data
	case LinkIPv4:
		return stepIPv4, data
	case LinkIPv6:
		return stepIPv6, data
	case LinkNull, LinkLoop:
		if len(data) < 4 {
			return w.truncLink(), nil
		}
		fam := be32(data)
		if link == LinkNull {
			// Host byte order: a family written little-endian reads as
			// a large big-endian number.
			if fam&0xffff0000 != 0 {
				fam = binary.LittleEndian.Uint32(data)
			}
		}
		switch fam {
		case 2:
			return stepIPv4, data[4:]
		case 24, 28, 30:
			return stepIPv6, data[4:]
		}
		p.AddAnomaly(AnomalyUnknownEtherType, fam)
		return stepDone, nil
	case LinkLinuxSLL:
		if len(data) < 16 {
			return w.truncLink(), nil
		}
		return w.sllProto(be16(data[14:]), data[16:])
	case LinkLinuxSLL2:
		if len(data) < 20 {
			return w.truncLink(), nil
		}
		return w.sllProto(be16(data[0:]), data[20:])
	case LinkNFLOG:
		return w.nflog(data)
	case LinkPPP, LinkPPPHDLC:
		if len(data) >= 4 && (data[0] == 0x0f || data[0] == 0x8f) && data[1] == 0 {
			w.et = be16(data[2:]) // Cisco HDLC framing
			return stepEtherType, data[4:]
		}
		return w.ppp(data)
	case LinkCHDLC:
		if len(data) < 4 {
			return w.truncLink(), nil
		}
		w.et = be16(data[2:])
		return stepEtherType, data[4:]
	case LinkFDDI:
		if len(data) < 13 {
			return w.truncLink(), nil
		}
		return w.llc(data[13:])
	case LinkRadiotap:
		if len(data) < 4 {
			return w.truncLink(), nil
		}
		l := int(binary.LittleEndian.Uint16(data[2:]))
		if data[0] != 0 || l < 8 || l > len(data) {
			return w.truncLink(), nil
		}
		return w.wlan(data[l:])
	case LinkIEEE80211:
		return w.wlan(data)
	}
	p.AddAnomaly(AnomalyUnknownLinkType, uint32(link))
	return stepDone, nil
}

// sllProto dispatches on a Linux cooked capture protocol field.
func (w *walker) sllProto(proto uint16, b []byte) (step, []byte) {
	switch proto {
	case 0x0004: // 802.2 LLC frame
		return w.llc(b)
	case 0x0001, 0x0003: // Novell 802.3, ETH_P_ALL: nothing we decode
		return stepDone, nil
	}
	w.et = proto
	return stepEtherType, b
}

// nflog finds the packet payload TLV of a LINKTYPE_NFLOG record.
func (w *walker) nflog(b []byte) (step, []byte) {
	if len(b) < 4 {
		return w.truncLink(), nil
	}
	fam := b[0]
	b = b[4:]
	for i := 0; i < maxNFLOGTLVs && len(b) >= 4; i++ {
		l := int(binary.LittleEndian.Uint16(b))
		typ := binary.LittleEndian.Uint16(b[2:])
		if l < 4 || l > len(b) {
			return w.truncLink(), nil
		}
		if typ == 9 { // NFULA_PAYLOAD
			v := b[4:l]
			switch fam {
			case 2:
				return stepIPv4, v
			case 10:
				return stepIPv6, v
			}
			return stepIP, v
		}
		l = (l + 3) &^ 3
		if l >= len(b) {
			break
		}
		b = b[l:]
	}
	return stepDone, nil
}

// ether decodes an Ethernet II or 802.3 header.
func (w *walker) ether(b []byte) (step, []byte) {
	if len(b) < 14 {
		// Zeek's names: a Geneve tunnel that carries nothing, an
		// Ethernet header cut.
		kind := AnomalyTruncatedEthernet
		if n := w.p.NumTunnels; len(b) == 0 && w.pending && n > 0 && w.p.Tunnels[n-1].Kind == TunnelGeneve {
			kind = AnomalyGeneveEmpty
		}
		w.p.Truncated = true
		w.p.AddAnomaly(kind, 0)
		return stepDone, nil
	}
	p := w.p
	if be16(b[12:]) == EtherTypeFabric {
		// Zeek skips the FabricPath header and analyses the inner frame
		// as the Ethernet frame (its MACs and EtherType are the
		// packet's).
		if len(b) < fabricPathLen+14 {
			return w.truncLink(), nil
		}
		b = b[fabricPathLen:]
	}
	h := (*[14]byte)(b)
	b = b[14:]
	record := !w.inTunnel
	if record {
		p.HasEth = true
		p.DstMAC = [6]byte(h[0:6])
		p.SrcMAC = [6]byte(h[6:12])
	}
	et := be16(h[12:14])
	// IP straight after the Ethernet header is most frames: step to it
	// here, as etherType would.
	if st := ipStep(et); st != stepDone {
		if record {
			p.EtherType = et
		}
		return st, b
	}
	if et < 0x0600 {
		return w.llc(b)
	}
	return w.etherType(et, b) // tags, MPLS, ARP...
}

// ipStep is the step that decodes the payload of EtherType et when it is
// IPv4 or IPv6, else stepDone.
func ipStep(et uint16) step {
	switch et {
	case EtherTypeIPv4:
		return stepIPv4
	case EtherTypeIPv6:
		return stepIPv6
	}
	return stepDone
}

// llc decodes an 802.2 LLC header; only SNAP carries an EtherType.
func (w *walker) llc(b []byte) (step, []byte) {
	if len(b) < 3 {
		return w.truncLink(), nil
	}
	if b[0] != 0xAA || b[1] != 0xAA || b[2] != 0x03 {
		// STP, IPX, NetBIOS...: legitimate, not decoded, no anomaly.
		return stepDone, nil
	}
	if len(b) < 8 {
		return w.truncLink(), nil
	}
	if b[3] != 0 || b[4] != 0 || (b[5] != 0 && b[5] != 0xf8) {
		// SNAP with an organisation code (e.g. Cisco CDP): the type is
		// not an EtherType.
		return stepDone, nil
	}
	w.et = be16(b[6:])
	return stepEtherType, b[8:]
}

// etherType walks VLAN tags, MPLS labels and PPPoE from EtherType et.
func (w *walker) etherType(et uint16, b []byte) (step, []byte) {
	p := w.p
	record := !w.inTunnel
	for i := 0; i < maxLinkTags; i++ {
		if st := ipStep(et); st != stepDone {
			if record {
				p.EtherType = et
			}
			return st, b
		}
		switch et {
		case EtherTypeVLAN, EtherTypeQinQ, EtherTypeQinQOld1, EtherTypeQinQOld2:
			if len(b) < 4 {
				return w.truncLink(), nil
			}
			if record && p.NumVLANs < uint8(len(p.VLANs)) {
				p.VLANs[p.NumVLANs] = be16(b) & 0x0fff
				p.NumVLANs++
			}
			et = be16(b[2:])
			b = b[4:]
			continue
		case EtherTypeVNTag:
			if len(b) < 6 {
				return w.truncLink(), nil
			}
			et = be16(b[4:])
			b = b[6:]
			continue
		case EtherTypePBB:
			// I-TAG, customer destination and source MACs, EtherType.
			if len(b) < 18 {
				return w.truncLink(), nil
			}
			et = be16(b[16:])
			b = b[18:]
			continue
		}
		if record {
			p.EtherType = et
		}
		switch et {
		case EtherTypeMPLS, EtherTypeMPLSMC:
			return w.mpls(b)
		case EtherTypePPPoES:
			return w.pppoe(b)
		case EtherTypeARP, EtherTypeRARP:
			w.arp(b)
			return stepDone, nil
		case EtherTypePPPoED:
			return stepDone, nil
		}
		if et < 0x0600 {
			return w.llc(b)
		}
		return w.notIP(AnomalyUnknownEtherType, uint32(et)), nil
	}
	return w.notIP(AnomalyUnknownEtherType, uint32(et)), nil
}

// mpls walks an MPLS label stack and guesses IPv4/IPv6 after its bottom.
func (w *walker) mpls(b []byte) (step, []byte) {
	p := w.p
	for n := 0; ; n++ {
		if n >= maxMPLS {
			p.AddAnomaly(AnomalyBadMPLS, uint32(n))
			return stepDone, nil
		}
		if len(b) < 4 {
			return w.truncLink(), nil
		}
		bottom := b[2]&1 != 0
		b = b[4:]
		if !w.inTunnel && p.NumMPLS < 255 {
			p.NumMPLS++
		}
		if bottom {
			break
		}
	}
	if len(b) == 0 {
		return w.truncLink(), nil
	}
	switch b[0] >> 4 {
	case 4:
		return stepIPv4, b
	case 6:
		return stepIPv6, b
	}
	return w.notIP(AnomalyBadMPLS, uint32(b[0]>>4)), nil
}

// pppoe decodes a PPPoE session header and its PPP protocol field.
func (w *walker) pppoe(b []byte) (step, []byte) {
	if len(b) < 8 {
		return w.truncLink(), nil
	}
	if b[0] != 0x11 || b[1] != 0x00 {
		w.p.AddAnomaly(AnomalyBadPPPoE, uint32(b[0])<<8|uint32(b[1]))
		return stepDone, nil
	}
	return w.pppProto(be16(b[6:]), b[8:])
}

// ppp decodes a PPP header: optional address and control fields (0xff
// 0x03), then a one-byte (compressed) or two-byte protocol.
func (w *walker) ppp(b []byte) (step, []byte) {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) == 0 {
		return w.truncLink(), nil
	}
	if b[0]&1 != 0 {
		return w.pppProto(uint16(b[0]), b[1:])
	}
	if len(b) < 2 {
		return w.truncLink(), nil
	}
	return w.pppProto(be16(b), b[2:])
}

// wlan decodes an 802.11 data frame header up to its LLC header. Management
// and control frames and encrypted frames are not decoded. Of an A-MSDU,
// one subframe is decoded (amsduSubframe).
func (w *walker) wlan(b []byte) (step, []byte) {
	if len(b) < 24 {
		return w.truncLink(), nil
	}
	fc0, fc1 := b[0], b[1]
	if fc0&0x0c != 0x08 || fc0&0x40 != 0 || fc1&0x40 != 0 {
		return stepDone, nil // not data, null function, or protected
	}
	hl := 24
	if fc1&0x03 == 0x03 { // to and from DS: fourth address
		hl += 6
	}
	if fc0&0x80 != 0 { // QoS data
		if len(b) < hl+2 {
			return w.truncLink(), nil
		}
		amsdu := b[hl]&0x80 != 0
		hl += 2
		if fc1&0x80 != 0 { // HT control
			hl += 4
		}
		if amsdu {
			if len(b) < hl {
				return w.truncLink(), nil
			}
			return w.amsduSubframe(b[hl:])
		}
	}
	if len(b) < hl {
		return w.truncLink(), nil
	}
	return w.llc(b[hl:])
}

// amsduSubframe decodes one subframe of an A-MSDU whose subframes are b.
// Each is a header — destination, source, length — then that many bytes
// (an LLC header and a packet), padded to a multiple of four bytes but the
// last. Zeek analyses each subframe as a packet of its own: Decode takes
// the first, DecodeNextSubframe each of the others in turn, and
// p.NextSubframe says where the next one starts. An A-MSDU met inside a
// subframe (through a tunnel) gives its first subframe only.
func (w *walker) amsduSubframe(b []byte) (step, []byte) {
	at, outer := 0, !w.amsduMet
	if outer {
		w.amsduMet = true
		if at = w.subframeAt; at > 0 {
			// A later subframe: the frame's anomalies outside it were
			// the first subframe's.
			p := w.p
			p.NumAnomalies, p.DroppedAnomalies = 0, 0
			w.inSubframe, w.subframeTunnels = true, p.NumTunnels
		}
	}
	if at < 0 || len(b)-at < 14 {
		return w.truncLink(), nil
	}
	n := int(be16(b[at+12:]))
	end := at + 14 + n
	if len(b) < end {
		return w.truncLink(), nil
	}
	if next := end + (-(14 + n))&3; outer && len(b)-next >= 14 {
		w.p.NextSubframe = next
	}
	return w.llc(b[at+14 : end])
}

// carried reports whether the walk of a later A-MSDU subframe found a
// packet in it (IP or ARP), not only the frame's outer datagram again.
func (w *walker) carried() bool {
	p := w.p
	return w.inSubframe && p.NumTunnels >= w.subframeTunnels && (p.IP.Version != 0 || p.IsARP)
}

// pppProto dispatches on a PPP protocol number. PPP control protocols
// (LCP, IPCP, CCP...) are legitimate and not decoded.
func (w *walker) pppProto(proto uint16, b []byte) (step, []byte) {
	switch proto {
	case 0x0021:
		return stepIPv4, b
	case 0x0057:
		return stepIPv6, b
	}
	return stepDone, nil
}

// arp fills p.ARP. Inside a tunnel, ARP completes the tunnel.
func (w *walker) arp(b []byte) {
	p := w.p
	p.IsARP = true
	w.pending = false
	if len(b) < 8 {
		p.Truncated = true
		p.AddAnomaly(AnomalyTruncatedARP, uint32(len(b)))
		return
	}
	p.ARP.Op = be16(b[6:])
	if b[4] != 6 || b[5] != 4 || be16(b[2:]) != EtherTypeIPv4 {
		return
	}
	if len(b) < 28 {
		p.Truncated = true
		p.AddAnomaly(AnomalyTruncatedARP, uint32(len(b)))
		return
	}
	copy(p.ARP.SenderMAC[:], b[8:14])
	p.ARP.SenderIP = addr4(b[14:18])
	copy(p.ARP.TargetMAC[:], b[18:24])
	p.ARP.TargetIP = addr4(b[24:28])
}

// ipByNibble dispatches on the IP version nibble.
func (w *walker) ipByNibble(b []byte) step {
	if len(b) == 0 {
		w.p.Truncated = true
		w.p.AddAnomaly(AnomalyTruncatedHeader, 0)
		return stepDone
	}
	switch b[0] >> 4 {
	case 4:
		return stepIPv4
	case 6:
		return stepIPv6
	}
	return w.notIP(AnomalyBadIPVersion, uint32(b[0]>>4))
}
