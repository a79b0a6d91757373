// Package decode turns one captured frame into a Packet without allocating.
//
// The caller owns the Packet and reuses it for every frame. Slices inside a
// Packet (Payload, IPRaw) point into the frame's bytes, so they are valid only
// as long as the frame's buffer is: a stage that keeps them past the next
// frame must copy them. Malformed input never makes Decode panic: it sets
// Truncated and/or appends an Anomaly and returns what it could decode.
//
// Decoding walks link (Ethernet, Cisco FabricPath, 802.1Q/QinQ, MPLS, PPPoE,
// Linux SLL/SLL2, BSD null/loopback, 802.11, raw IP), network (IPv4 with
// options, IPv6 with its whole extension-header chain, ARP) and transport
// (TCP, UDP, ICMP, ICMPv6, SCTP) layers, and goes through tunnels (GRE incl.
// ERSPAN and Aruba, VXLAN, Geneve, IP-in-IP, Teredo, GTP-U, AYIYA; Teredo
// and AYIYA also on other UDP ports, by Zeek's payload detection) to the
// innermost packet. Each tunnel crossed is recorded as a Tunnel with the
// outer datagram, so the flow stage can account the outer connection and
// name it as the inner connection's tunnel parent.
package decode

import "net/netip"

// LinkType is the pcap link-layer header type (LINKTYPE_* numbers).
type LinkType uint16

// Link types Vigil decodes.
const (
	LinkNull      LinkType = 0   // BSD loopback, host-order 4-byte family
	LinkEthernet  LinkType = 1   // Ethernet II / 802.3
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6
	LinkLoop      LinkType = 108 // OpenBSD loopback, network-order family
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2
	LinkRawAlt12  LinkType = 12  // raw IP on some BSDs (DLT_RAW)
	LinkRawAlt14  LinkType = 14  // raw IP on some BSDs (DLT_RAW)
)

// IP protocol numbers used across the stages.
const (
	ProtoHopByHop = 0
	ProtoICMP     = 1
	ProtoIPIP     = 4
	ProtoTCP      = 6
	ProtoUDP      = 17
	ProtoIPv6     = 41
	ProtoRouting  = 43
	ProtoFragment = 44
	ProtoGRE      = 47
	ProtoESP      = 50
	ProtoAH       = 51
	ProtoICMPv6   = 58
	ProtoNoNext   = 59
	ProtoDstOpts  = 60
	ProtoMobility = 135
	ProtoSCTP     = 132
)

// TCP flag bits as they appear in the header's flags byte.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
	TCPUrg = 0x20
	TCPEce = 0x40
	TCPCwr = 0x80
)

// Datagram is one IP datagram and its transport header: everything the flow
// stage needs to account a packet to a connection. The innermost datagram of
// a packet is Packet.IP; each tunnel's outer datagram is Tunnel.Outer.
type Datagram struct {
	Version  uint8 // 4 or 6; 0 when the packet carries no IP (e.g. ARP)
	Src, Dst netip.Addr
	TTL      uint8 // IPv4 TTL or IPv6 hop limit
	// Proto is the transport protocol after the IPv6 extension-header chain
	// (the last next-header value for IPv6).
	Proto uint8
	// IPLen is the datagram's length in bytes as its IP header states it
	// (IPv4 total length; IPv6 40 + payload length), whatever was captured.
	IPLen int
	// HeaderLen is the length of the IP header including IPv4 options or the
	// IPv6 extension headers.
	HeaderLen int

	SrcPort, DstPort uint16 // TCP/UDP/SCTP ports
	TCPFlags         uint8
	Seq, Ack         uint32
	Window           uint16
	ICMPType         uint8 // ICMP / ICMPv6 type
	ICMPCode         uint8
	ICMPID           uint16 // echo identifier where the type has one
	// L4Len is the transport payload length in bytes as the headers state it
	// (TCP: IPLen - IP header - TCP header; UDP: UDP length - 8; ICMP: bytes
	// after the 8-byte ICMP header), independent of the snap length.
	L4Len int
	// HasL4 is true when the transport header was fully present and parsed.
	HasL4 bool
}

// TunnelKind names an encapsulation.
type TunnelKind uint8

// Tunnel kinds. The names match Zeek's Tunnel::Type where Zeek has one.
const (
	TunnelNone TunnelKind = iota
	TunnelIP              // IP-in-IP: 4in4, 4in6, 6in4, 6in6
	TunnelGRE
	TunnelERSPAN
	TunnelVXLAN
	TunnelGeneve
	TunnelTeredo
	TunnelGTPU
	TunnelAYIYA
)

var tunnelNames = [...]string{"NONE", "IP", "GRE", "ERSPAN", "VXLAN", "GENEVE", "TEREDO", "GTPV1", "AYIYA"}

func (k TunnelKind) String() string {
	if int(k) < len(tunnelNames) {
		return tunnelNames[k]
	}
	return "UNKNOWN"
}

// Tunnel is one encapsulation crossed on the way to the inner packet. Outer
// is the datagram that carried it (for UDP tunnels it has ports and L4Len);
// OuterRaw is that datagram's bytes as captured, IP header first (so that
// its transport checksum can be validated).
type Tunnel struct {
	Kind     TunnelKind
	Outer    Datagram
	OuterRaw []byte
}

// MaxTunnels bounds the encapsulation depth; deeper nesting is an anomaly.
const MaxTunnels = 4

// MaxAnomalies bounds the anomalies kept per packet; more are counted only.
const MaxAnomalies = 8

// FragInfo describes an IP fragment. Offset and lengths are in bytes.
type FragInfo struct {
	IsFragment bool
	ID         uint32 // IPv4 identification or IPv6 fragment-header identification
	Offset     int    // fragment offset in bytes
	More       bool   // more-fragments flag
	// UnfragLen is the length of the part of IPRaw that precedes the
	// fragmentable data (IPv4 header; IPv6 header + unfragmentable extension
	// headers + the fragment header itself).
	UnfragLen int
	// FragHdrOff is, for IPv6, the offset in IPRaw of the fragment header,
	// and FragPrevNH the offset of the next-header byte that names it.
	FragHdrOff int
	FragPrevNH int
	// NextHeader is the protocol the fragment header says follows (IPv6) or
	// the IPv4 protocol field.
	NextHeader uint8
}

// ARP holds the fields of an ARP packet over Ethernet/IPv4.
type ARP struct {
	Op                   uint16
	SenderMAC, TargetMAC [6]byte
	SenderIP, TargetIP   netip.Addr
}

// Packet is the decoded view of one frame. Reset by Decode on every call.
type Packet struct {
	TS      int64 // capture time, Unix nanoseconds
	WireLen int   // original length on the wire
	CapLen  int   // bytes captured

	HasEth         bool
	SrcMAC, DstMAC [6]byte
	VLANs          [2]uint16 // outermost first
	NumVLANs       uint8
	NumMPLS        uint8
	EtherType      uint16 // innermost EtherType seen at the link layer

	IsARP bool
	ARP   ARP

	// IP is the innermost datagram (Version 0 when there is none).
	IP Datagram
	// IPRaw is the innermost IP datagram's bytes as captured, header first.
	IPRaw []byte
	// Payload is the innermost transport payload as captured (may be shorter
	// than IP.L4Len when the snap length cut it).
	Payload []byte
	Frag    FragInfo

	Tunnels    [MaxTunnels]Tunnel // outermost first
	NumTunnels uint8

	// Truncated is set when the frame ended before a header it announced.
	Truncated bool

	// NextSubframe is, for a packet from an 802.11 A-MSDU (an aggregate of
	// several packets in one frame), where the subframe after this one
	// starts in the aggregate; 0 when no other follows.
	// Decoder.DecodeNextSubframe decodes it.
	NextSubframe int

	Anomalies    [MaxAnomalies]Anomaly
	NumAnomalies uint8
	// DroppedAnomalies counts anomalies beyond MaxAnomalies.
	DroppedAnomalies uint16
}

// Reset clears p for the next frame without freeing anything. The
// Tunnels and Anomalies arrays are not cleared (two thirds of the struct):
// only their first NumTunnels and NumAnomalies entries are meaningful, and
// those are written whole when added. TestResetClearsEveryField keeps
// this list complete.
func (p *Packet) Reset() {
	p.ARP = ARP{}
	p.Frag = FragInfo{}
	p.resetCommon()
}

// resetCommon clears every field Reset clears but ARP and Frag, which
// Decode clears only when the previous frame set IsARP or Frag.IsFragment
// (the decoder writes them only then). One field per statement: a tuple
// assignment of a struct's zero value makes the compiler zero a copy on
// the stack and move it.
func (p *Packet) resetCommon() {
	p.TS = 0
	p.WireLen = 0
	p.CapLen = 0
	p.HasEth = false
	p.SrcMAC = [6]byte{}
	p.DstMAC = [6]byte{}
	p.VLANs = [2]uint16{}
	p.NumVLANs = 0
	p.NumMPLS = 0
	p.EtherType = 0
	p.IsARP = false
	p.IP = Datagram{}
	p.IPRaw = nil
	p.Payload = nil
	p.NumTunnels = 0
	p.Truncated = false
	p.NextSubframe = 0
	p.NumAnomalies = 0
	p.DroppedAnomalies = 0
}

// AddAnomaly records an anomaly on the packet, bounded by MaxAnomalies.
func (p *Packet) AddAnomaly(kind AnomalyKind, detail uint32) {
	if int(p.NumAnomalies) < MaxAnomalies {
		p.Anomalies[p.NumAnomalies] = Anomaly{Kind: kind, Detail: detail}
		p.NumAnomalies++
		return
	}
	p.DroppedAnomalies++
}

// HasAnomaly reports whether kind was recorded on p.
func (p *Packet) HasAnomaly(kind AnomalyKind) bool {
	for i := 0; i < int(p.NumAnomalies); i++ {
		if p.Anomalies[i].Kind == kind {
			return true
		}
	}
	return false
}

// DropAnomaly removes the first anomaly of kind from p (a later stage
// that reports it itself, or that is told to ignore it) and reports
// whether p had one.
func (p *Packet) DropAnomaly(kind AnomalyKind) bool {
	n := int(p.NumAnomalies)
	for i := 0; i < n; i++ {
		if p.Anomalies[i].Kind == kind {
			copy(p.Anomalies[i:n], p.Anomalies[i+1:n])
			p.NumAnomalies--
			return true
		}
	}
	return false
}
