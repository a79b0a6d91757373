package decode

// Default UDP ports of the UDP-carried tunnels.
const (
	PortVXLAN  = 4789
	PortGeneve = 6081
	PortTeredo = 3544
	PortGTPU   = 2152
	PortGREUDP = 4754 // GRE-in-UDP (RFC 8086)
	PortAYIYA  = 5072 // Anything In Anything (SixXS)
)

// DefaultMaxExtHeaders is the default bound on the IPv6 extension headers
// walked per datagram.
const DefaultMaxExtHeaders = 16

// Config tunes a Decoder. Use DefaultConfig and change what you need.
type Config struct {
	// UDP ports that carry tunnels. VXLAN and Geneve are recognised by the
	// destination port, Teredo and GTP-U by either port. A nil slice means
	// the default port; an empty non-nil slice disables the tunnel kind.
	VXLANPorts, GenevePorts, TeredoPorts, GTPUPorts []uint16
	// AYIYAPorts are the UDP ports of AYIYA, recognised by either port.
	AYIYAPorts []uint16
	// GREUDPPorts are the UDP destination ports of GRE-in-UDP (RFC 8086).
	GREUDPPorts []uint16
	// MaxExtHeaders bounds the IPv6 extension headers walked before
	// AnomalyExcessiveExtHeaders (0 means DefaultMaxExtHeaders).
	MaxExtHeaders int
	// DecodeTunnels makes the decoder go through tunnels to the inner
	// packet. When false, tunnel packets decode as their outer datagram.
	DecodeTunnels bool
	// NoTunnelDetection turns off Zeek's protocol detection of AYIYA and
	// Teredo in the payload of UDP datagrams on other ports. With it on
	// (the default), such a payload that looks like the tunnel's header
	// is decoded as the tunnel, as Zeek does.
	NoTunnelDetection bool
}

// DefaultConfig returns the default configuration: the IANA tunnel ports,
// 16 extension headers, tunnels decoded and detected.
func DefaultConfig() Config {
	return Config{
		VXLANPorts:    []uint16{PortVXLAN},
		GenevePorts:   []uint16{PortGeneve},
		TeredoPorts:   []uint16{PortTeredo},
		GTPUPorts:     []uint16{PortGTPU},
		GREUDPPorts:   []uint16{PortGREUDP},
		AYIYAPorts:    []uint16{PortAYIYA},
		MaxExtHeaders: DefaultMaxExtHeaders,
		DecodeTunnels: true,
	}
}

// Decoder decodes frames into Packets. It is immutable after NewDecoder and
// keeps no per-call state, so one Decoder may be shared by any number of
// goroutines (each with its own Packet).
type Decoder struct {
	vxlan, geneve, teredo, gtpu, greUDP, ayiya []uint16
	// portFilter has bit (port & 1023) set for every tunnel port, so that
	// the common UDP packet is rejected with one load.
	portFilter    [16]uint64
	maxExt        int
	decodeTunnels bool
	detect        bool
}

// NewDecoder returns a Decoder for cfg. Zero or nil fields take their
// defaults as described on Config.
func NewDecoder(cfg Config) *Decoder {
	d := &Decoder{
		vxlan:         portsOr(cfg.VXLANPorts, PortVXLAN),
		geneve:        portsOr(cfg.GenevePorts, PortGeneve),
		teredo:        portsOr(cfg.TeredoPorts, PortTeredo),
		gtpu:          portsOr(cfg.GTPUPorts, PortGTPU),
		greUDP:        portsOr(cfg.GREUDPPorts, PortGREUDP),
		ayiya:         portsOr(cfg.AYIYAPorts, PortAYIYA),
		maxExt:        cfg.MaxExtHeaders,
		decodeTunnels: cfg.DecodeTunnels,
		detect:        !cfg.NoTunnelDetection,
	}
	if d.maxExt <= 0 {
		d.maxExt = DefaultMaxExtHeaders
	}
	for _, l := range [][]uint16{d.vxlan, d.geneve, d.teredo, d.gtpu, d.greUDP, d.ayiya} {
		for _, port := range l {
			d.portFilter[(port&1023)>>6] |= 1 << (port & 63)
		}
	}
	return d
}

func portsOr(ports []uint16, def uint16) []uint16 {
	if ports == nil {
		return []uint16{def}
	}
	return append([]uint16(nil), ports...)
}

func (d *Decoder) maybeTunnelPort(port uint16) bool {
	return d.portFilter[(port&1023)>>6]&(1<<(port&63)) != 0
}

func hasPort(l []uint16, port uint16) bool {
	for _, x := range l {
		if x == port {
			return true
		}
	}
	return false
}

// Decode resets p and decodes one frame of the given link type into it. ts
// (Unix nanoseconds) and wireLen (the original length) are stored as they
// are; CapLen is len(data). p keeps references into data.
func (d *Decoder) Decode(data []byte, link LinkType, ts int64, wireLen int, p *Packet) {
	// Reset, but ARP and Frag are written only with IsARP and
	// Frag.IsFragment set, so they need clearing only then.
	// TestDecodeResetsReusedPacket checks that a Packet reused after
	// every kind of frame equals a fresh one.
	if p.IsARP || p.Frag.IsFragment {
		p.ARP = ARP{}
		p.Frag = FragInfo{}
	}
	p.resetCommon()
	p.TS = ts
	p.WireLen = wireLen
	p.CapLen = len(data)
	if link == LinkEthernet && d.plainEther(data, p) {
		return
	}
	w := walker{d: d, p: p}
	w.general(data, link)
}

// DecodeNextSubframe decodes into p the next packet of an 802.11 A-MSDU (an
// aggregate of packets in one frame): the subframe at p.NextSubframe of
// frame data, which p was decoded from by Decode or an earlier call, as
// Zeek analyses each subframe as a packet. It reports whether there was
// one. TS, WireLen and CapLen stay the frame's; the anomalies are the
// subframe's own (the frame's others went with its first subframe); the
// tunnels are the frame's, as for the first. A subframe that carries
// neither IP nor ARP leaves p with no datagram, only its anomalies (one
// cut short, one not IP in a tunnel), or is passed over when it has none.
func (d *Decoder) DecodeNextSubframe(data []byte, link LinkType, p *Packet) bool {
	for p.NextSubframe != 0 {
		at, ts, wireLen := p.NextSubframe, p.TS, p.WireLen
		p.Reset()
		p.TS, p.WireLen, p.CapLen = ts, wireLen, len(data)
		w := walker{d: d, p: p, subframeAt: at}
		w.general(data, link)
		if w.carried() {
			return true
		}
		if w.inSubframe && p.NumAnomalies > 0 {
			// Not the outer datagram again: the subframe's anomalies only.
			p.IP, p.IPRaw, p.Payload, p.NumTunnels = Datagram{}, nil, nil, 0
			return true
		}
	}
	return false
}

// general decodes data, a frame of the given link type, with the general
// walker: the whole of Decode but for the fast path, which
// TestFastPathMatchesWalker compares it with.
func (w *walker) general(data []byte, link LinkType) {
	var st step
	var b []byte
	if link == LinkEthernet { // most captures: no need for link's dispatch
		st, b = w.ether(data)
	} else {
		st, b = w.link(data, link)
	}
	w.run(st, b)
}

// DecodeIP re-decodes p from the IP datagram data (IPv4 or IPv6 by its
// version nibble), as the defragmenter does after reassembly. It clears and
// refills the IP-level fields (IP, IPRaw, Payload, Frag) and appends any
// tunnel found inside data, but keeps the link-layer fields, TS, WireLen,
// CapLen, the tunnels already recorded and the anomalies already recorded.
func (d *Decoder) DecodeIP(data []byte, p *Packet) {
	p.IP = Datagram{}
	p.IPRaw = nil
	p.Payload = nil
	p.Frag = FragInfo{}
	// An A-MSDU in the reassembled datagram gives its first subframe only:
	// p.NextSubframe stays the frame's.
	w := walker{d: d, p: p, inTunnel: true, amsduMet: true}
	w.run(stepIP, data)
}

// The fast path of Decode. Most frames are Ethernet, perhaps with one
// 802.1Q tag, then IPv4 without options or IPv6 without extension headers,
// whole and not fragmented, then TCP or UDP. plainEther decodes those in
// one pass, without the walker's step loop and link-layer dispatch, and
// hands the transport header to tcp or transport as ipv4 and ipv6 would.
// Any other frame goes to the general walker from its first byte, with
// nothing written: TestFastPathMatchesWalker and FuzzDecode check that
// both give the same Packet.

// plainEther decodes data, an Ethernet frame, into p if it is one the
// fast path takes, and reports whether it did; false means it wrote
// nothing. A walker is set up only for what follows a UDP header.
func (d *Decoder) plainEther(data []byte, p *Packet) bool {
	if len(data) < 14 {
		return false
	}
	et, b := be16(data[12:]), data[14:]
	var tci uint16
	tagged := et == EtherTypeVLAN
	if tagged {
		if len(b) < 4 {
			return false
		}
		tci, et, b = be16(b), be16(b[2:]), b[4:]
	}
	var ipLen int
	switch et {
	case EtherTypeIPv4:
		ipLen = plainIPv4Len(b)
	case EtherTypeIPv6:
		ipLen = plainIPv6Len(b)
	}
	if ipLen == 0 {
		return false
	}
	p.HasEth = true
	p.DstMAC = [6]byte(data[0:6])
	p.SrcMAC = [6]byte(data[6:12])
	if tagged {
		p.VLANs[0] = tci & 0x0fff
		p.NumVLANs = 1
	}
	p.EtherType = et
	b = b[:ipLen]
	p.IPRaw = b
	// The header fields as ipv4 and ipv6 set them, written out here: a
	// call to a shared setter costs more than they do.
	ip := &p.IP
	ip.IPLen = ipLen
	hl := 40
	if et == EtherTypeIPv4 {
		hl = 20
		h := (*[20]byte)(b)
		ip.Version = 4
		ip.TTL = h[8]
		ip.Proto = h[9]
		ip.Src = addr4(h[12:16])
		ip.Dst = addr4(h[16:20])
		if !sumIsNegZero(ipv4FixedSum(h)) {
			p.AddAnomaly(AnomalyBadIPChecksum, uint32(be16(h[10:12])))
		}
	} else {
		h := (*[40]byte)(b)
		ip.Version = 6
		ip.TTL = h[7]
		ip.Proto = h[6]
		ip.Src = addr16(h[8:24])
		ip.Dst = addr16(h[24:40])
	}
	ip.HeaderLen = hl
	if ip.Proto == ProtoTCP {
		p.tcp(b[hl:], ipLen-hl)
		return true
	}
	w := walker{d: d, p: p}
	if st, rest := w.transport(b, hl, false); st != stepDone || w.pending {
		w.run(st, rest) // a tunnel
	}
	return true
}

// plainIPv4Len returns the total length of the IPv4 datagram that b starts
// with if the fast path takes it: a 20-byte header (no options), a total
// length from 20 to len(b), not a fragment. Else it returns 0.
func plainIPv4Len(b []byte) int {
	if len(b) < 20 || b[0] != 0x45 {
		return 0
	}
	n := int(be16(b[2:]))
	if n < 20 || n > len(b) || be16(b[6:])&0x3fff != 0 {
		return 0
	}
	return n
}

// plainIPv6Len returns the length of the IPv6 datagram that b starts with
// if the fast path takes it: no extension header, the stated length
// captured. Else it returns 0.
func plainIPv6Len(b []byte) int {
	if len(b) < 40 || b[0]>>4 != 6 || isExtHeader(b[6]) {
		return 0
	}
	n := 40 + int(be16(b[4:]))
	if n > len(b) {
		return 0
	}
	return n
}
