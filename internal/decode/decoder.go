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
	p.Reset()
	p.TS = ts
	p.WireLen = wireLen
	p.CapLen = len(data)
	w := walker{d: d, p: p}
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
	w := walker{d: d, p: p, inTunnel: true}
	w.run(stepIP, data)
}
