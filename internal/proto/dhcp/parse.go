package dhcp

import (
	"encoding/binary"
	"net/netip"
)

// Cookie is the DHCP magic cookie (RFC 2131) after the BOOTP header.
const Cookie = 0x63825363

// headerLen is the BOOTP header plus the cookie.
const headerLen = 240

// Msg is one DHCPv4 message: the BOOTP header and the options dhcp.log
// uses. Byte slices point into the datagram.
type Msg struct {
	Op, HType, HLen uint8
	Xid             uint32
	CIAddr, YIAddr  netip.Addr
	CHAddr          []byte // 16 bytes
	Type            uint8  // option 53; 0 when absent

	HostName, ClientFQDN, Domain, Message []byte
	HasHostName, HasFQDN, HasDomain       bool
	HasMessage                            bool
	ReqAddr                               netip.Addr
	Lease                                 uint32
	HasLease                              bool
	ClientIDType                          uint8
	ClientID                              []byte
	HasClientID                           bool
	VendorClass                           []byte
	HasVendorClass                        bool
	ParamList                             []byte
	HasParamList                          bool
	CircuitID, RemoteID, SubscriberID     []byte
	HasCircuit, HasRemote, HasSubscriber  bool
}

// Parse decodes a DHCPv4 datagram. ok is false when it is shorter than the
// BOOTP header, has no DHCP cookie (Zeek: a protocol violation, no event)
// or an option runs past the data. A missing End option is tolerated.
// Option 52 (overload) is not followed, as in Zeek.
func Parse(b []byte) (m Msg, ok bool) {
	if len(b) < headerLen || binary.BigEndian.Uint32(b[236:]) != Cookie {
		return m, false
	}
	m.Op, m.HType, m.HLen = b[0], b[1], b[2]
	m.Xid = binary.BigEndian.Uint32(b[4:])
	m.CIAddr = netip.AddrFrom4([4]byte(b[12:16]))
	m.YIAddr = netip.AddrFrom4([4]byte(b[16:20]))
	m.CHAddr = b[28:44]
	o := b[headerLen:]
	for len(o) > 0 {
		code := o[0]
		if code == 0 {
			o = o[1:]
			continue
		}
		if code == 255 {
			break
		}
		if len(o) < 2 || int(o[1]) > len(o)-2 {
			return m, false
		}
		v := o[2 : 2+int(o[1])]
		o = o[2+len(v):]
		m.option(code, v)
	}
	return m, true
}

func (m *Msg) option(code uint8, v []byte) {
	switch code {
	case 12:
		m.HostName, m.HasHostName = v, true
	case 15:
		// Zeek trims trailing NULs (and keeps nothing when only the
		// first byte is not one).
		last := 0
		for i, c := range v {
			if c != 0 {
				last = i
			}
		}
		if last == 0 {
			m.Domain = v[:0]
		} else {
			m.Domain = v[:last+1]
		}
		m.HasDomain = true
	case 50:
		if len(v) == 4 {
			m.ReqAddr = netip.AddrFrom4([4]byte(v))
		}
	case 51:
		if len(v) == 4 {
			m.Lease, m.HasLease = binary.BigEndian.Uint32(v), true
		}
	case 53:
		if len(v) >= 1 && m.Type == 0 {
			m.Type = v[0]
		}
	case 55:
		m.ParamList, m.HasParamList = v, true
	case 56:
		m.Message, m.HasMessage = v, true
	case 60:
		m.VendorClass, m.HasVendorClass = v, true
	case 61:
		if len(v) >= 1 {
			m.ClientIDType, m.ClientID, m.HasClientID = v[0], v[1:], true
		}
	case 81:
		if len(v) >= 3 {
			m.ClientFQDN, m.HasFQDN = v[3:], true
		}
	case 82:
		for len(v) >= 2 && int(v[1]) <= len(v)-2 {
			sub := v[2 : 2+int(v[1])]
			switch v[0] {
			case 1:
				m.CircuitID, m.HasCircuit = sub, true
			case 2:
				m.RemoteID, m.HasRemote = sub, true
			case 6:
				m.SubscriberID, m.HasSubscriber = sub, true
			}
			v = v[2+len(sub):]
		}
	}
}

// MessageTypeName is Zeek's DHCP::message_types.
func MessageTypeName(t uint8) string {
	if int(t) < len(msgTypeNames) && msgTypeNames[t] != "" {
		return msgTypeNames[t]
	}
	return "unknown-message-type-" + itoa(int(t))
}

var msgTypeNames = [...]string{
	1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
	7: "RELEASE", 8: "INFORM", 9: "FORCERENEW", 10: "LEASEQUERY",
	11: "LEASEUNASSIGNED", 12: "LEASEUNKNOWN", 13: "LEASEACTIVE",
	14: "BULKLEASEQUERY", 15: "LEASEQUERYDONE", 16: "ACTIVELEASEQUERY",
	17: "LEASEQUERYSTATUS", 18: "TLS",
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// FormatMAC is Zeek's fmt_mac: six bytes as 00:11:22:33:44:55, eight when
// at least eight are given and the 7th or 8th is not zero (EUI-64), ""
// when fewer than six (or seven) bytes are given.
func FormatMAC(m []byte) string {
	if len(m) < 8 && len(m) != 6 {
		return ""
	}
	n := 6
	if len(m) >= 8 && (m[6] != 0 || m[7] != 0) {
		n = 8
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[m[i]>>4], hex[m[i]&15])
	}
	return string(b)
}

// DHCPv6 (RFC 8415).

// V6Msg is one DHCPv6 message (relay messages unwrapped to the innermost
// relayed message).
type V6Msg struct {
	Type        uint8
	Xid         uint32 // 24 bits
	ClientDUID  []byte
	FQDN        string // option 39, decoded
	HasFQDN     bool
	VendorClass []byte // option 16: the first class data
	HasVendor   bool
	ORO         []uint16 // option 6
	HasORO      bool
	Addr        netip.Addr   // first IAADDR in an IA_NA
	Valid       uint32       // its valid lifetime
	Prefix      netip.Prefix // first IAPREFIX in an IA_PD (prefix delegation)
	Status      []byte       // status code message (option 13)
	HasStatus   bool
}

// maxRelayDepth bounds nested relay messages (RFC 8415: 32 hops).
const maxRelayDepth = 8

// maxORO bounds the requested options kept.
const maxORO = 64

// ParseV6 decodes a DHCPv6 datagram; ok is false when it is not a
// well-formed message (options must tile the datagram exactly).
func ParseV6(b []byte) (m V6Msg, ok bool) {
	for depth := 0; ; depth++ {
		if len(b) < 4 || b[0] == 0 || b[0] > 20 {
			return m, false
		}
		if b[0] == 12 || b[0] == 13 { // RELAY-FORW, RELAY-REPL
			if len(b) < 34 || depth == maxRelayDepth {
				return m, false
			}
			inner, ok := v6Option(b[34:], 9)
			if !ok {
				return m, false
			}
			b = inner
			continue
		}
		m.Type = b[0]
		m.Xid = uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		return m, m.options(b[4:], 0)
	}
}

// v6Option finds option code in opts (which must be well formed).
func v6Option(opts []byte, code uint16) ([]byte, bool) {
	var found []byte
	ok := false
	for len(opts) > 0 {
		if len(opts) < 4 {
			return nil, false
		}
		c, l := binary.BigEndian.Uint16(opts), int(binary.BigEndian.Uint16(opts[2:]))
		if l > len(opts)-4 {
			return nil, false
		}
		if c == code && !ok {
			found, ok = opts[4:4+l], true
		}
		opts = opts[4+l:]
	}
	return found, ok
}

// options reads opts, the options of the message (in 0) or of the option
// coded in (IA_NA 3, IA_PD 25, IAADDR 5): an IAADDR counts only in an
// IA_NA, an IAPREFIX only in an IA_PD, each IA only in the message.
func (m *V6Msg) options(opts []byte, in uint16) bool {
	for len(opts) > 0 {
		if len(opts) < 4 {
			return false
		}
		c, l := binary.BigEndian.Uint16(opts), int(binary.BigEndian.Uint16(opts[2:]))
		if l > len(opts)-4 {
			return false
		}
		v := opts[4 : 4+l]
		opts = opts[4+l:]
		switch c {
		case 1:
			m.ClientDUID = v
		case 3, 25: // IA_NA, IA_PD: IAID, T1, T2, options
			if len(v) >= 12 && in == 0 {
				m.options(v[12:], c)
			}
		case 26: // IAPREFIX: preferred, valid, prefix length, prefix, options
			if len(v) >= 25 && in == 25 && !m.Prefix.IsValid() && v[8] <= 128 {
				m.Prefix = netip.PrefixFrom(netip.AddrFrom16([16]byte(v[9:25])), int(v[8]))
			}
		case 5: // IAADDR: address, preferred, valid, options
			if len(v) >= 24 && in == 3 && !m.Addr.IsValid() {
				m.Addr = netip.AddrFrom16([16]byte(v[:16]))
				m.Valid = binary.BigEndian.Uint32(v[20:])
				m.options(v[24:], c)
			}
		case 6:
			m.HasORO = true
			for i := 0; i+2 <= len(v) && len(m.ORO) < maxORO; i += 2 {
				m.ORO = append(m.ORO, binary.BigEndian.Uint16(v[i:]))
			}
		case 13:
			if len(v) >= 2 && !m.HasStatus && binary.BigEndian.Uint16(v) != 0 {
				m.Status, m.HasStatus = v[2:], true
			}
		case 16: // enterprise number, then length-prefixed class data
			if len(v) >= 6 {
				l := int(binary.BigEndian.Uint16(v[4:]))
				if l <= len(v)-6 {
					m.VendorClass, m.HasVendor = v[6:6+l], true
				}
			}
		case 39: // flags, then a domain name in DNS wire format
			if len(v) >= 1 {
				m.FQDN, m.HasFQDN = wireName(v[1:]), true
			}
		}
	}
	return true
}

// wireName decodes an uncompressed DNS name (a partial name lacks the
// final empty label); bytes are kept as they are.
func wireName(b []byte) string {
	var out []byte
	for len(b) > 0 {
		l := int(b[0])
		if l == 0 || l > len(b)-1 || l > 63 {
			break
		}
		if len(out) > 0 {
			out = append(out, '.')
		}
		out = append(out, b[1:1+l]...)
		b = b[1+l:]
	}
	return string(out)
}

// V6TypeName names a DHCPv6 message type (RFC 8415 and updates).
func V6TypeName(t uint8) string {
	if int(t) < len(v6TypeNames) && v6TypeNames[t] != "" {
		return v6TypeNames[t]
	}
	return "unknown-message-type-" + itoa(int(t))
}

var v6TypeNames = [...]string{
	1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM", 5: "RENEW",
	6: "REBIND", 7: "REPLY", 8: "RELEASE", 9: "DECLINE", 10: "RECONFIGURE",
	11: "INFORMATION-REQUEST", 12: "RELAY-FORW", 13: "RELAY-REPL",
	14: "LEASEQUERY", 15: "LEASEQUERY-REPLY", 16: "LEASEQUERY-DONE",
	17: "LEASEQUERY-DATA", 18: "RECONFIGURE-REQUEST", 19: "RECONFIGURE-REPLY",
	20: "DHCPV4-QUERY",
}

// v6FromServer reports whether a DHCPv6 message type is sent by servers.
func v6FromServer(t uint8) bool {
	switch t {
	case 2, 7, 10, 15, 16, 17, 19:
		return true
	}
	return false
}

// duidMAC returns the link-layer address in a DUID-LLT or DUID-LL of
// Ethernet type, formatted, or "".
func duidMAC(d []byte) string {
	if len(d) < 4 || binary.BigEndian.Uint16(d[2:]) != 1 {
		return ""
	}
	switch binary.BigEndian.Uint16(d) {
	case 1:
		if len(d) == 14 {
			return FormatMAC(d[8:14])
		}
	case 3:
		if len(d) == 10 {
			return FormatMAC(d[4:10])
		}
	}
	return ""
}
