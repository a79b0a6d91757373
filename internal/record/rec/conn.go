package rec

import (
	"bytes"
	"net"
	"net/netip"
)

// Conn is the part of a conn.log record that connection-based detectors
// and the inventory share, decoded once per record. UID, Service and
// History alias the line.
type Conn struct {
	TS           float64 // start, epoch seconds
	UID          []byte
	Orig, Resp   netip.Addr
	OrigP, RespP uint16
	Proto        Proto
	Service      []byte // as written (aliases the line)
	IPProto      uint64 // ip_proto: the IP protocol number (0 when absent)
	Duration     float64
	OrigBytes    uint64
	RespBytes    uint64
	State        State
	History      []byte
	OrigPkts     uint64
	RespPkts     uint64
	OrigIPBytes  uint64
	RespIPBytes  uint64
	MissedBytes  uint64 // bytes in content gaps (lost packets)
	// Tunneled: the record has tunnel_parents (not null): the connection
	// was decapsulated from a tunnel.
	Tunneled bool
	// LocalOrig and LocalResp: local_orig and local_resp are true.
	LocalOrig, LocalResp bool
	// OrigL2 and RespL2 are orig_l2_addr and resp_l2_addr as written (what
	// Bytes reads; aliases the line; nil when absent).
	OrigL2, RespL2 []byte
	// OrigMAC and RespMAC are conn.log's orig_l2_addr and resp_l2_addr:
	// the link-layer sources of each side's first packet (zero when the
	// record has none).
	OrigMAC, RespMAC MAC
}

// Uploaded is what the originator sent, for volume counts: OrigBytes,
// which TCP takes from sequence numbers and which so also counts what the
// sensor lost (missed_bytes does not always: not before the handshake is
// seen), unless it puts more than maxSeqPerPacket of stream behind each
// packet captured. A sequence number that jumps (a fuzzed or corrupt
// stream) makes gigabytes of a few packets; then what the packets carried
// is counted: their IP bytes plus the bytes missed in gaps.
func (c *Conn) Uploaded() uint64 {
	if c.OrigPkts == 0 || c.OrigIPBytes == 0 || c.OrigBytes/c.OrigPkts <= maxSeqPerPacket {
		return c.OrigBytes
	}
	return min(c.OrigBytes, c.OrigIPBytes+c.MissedBytes)
}

// maxSeqPerPacket is the most stream a captured packet stands for before
// OrigBytes is taken for an artefact: 4 MiB, over 98% of the segments
// lost even when the capture holds 64 KiB offloaded ones.
const maxSeqPerPacket = 4 << 20

// MAC is an Ethernet address; the zero value stands for none.
type MAC [6]byte

// ParseMAC reads the colon form "02:66:00:00:00:42" (either case); ok is
// false for anything else.
func ParseMAC(b []byte) (m MAC, ok bool) {
	if len(b) != 17 {
		return MAC{}, false
	}
	for i := range m {
		hi, okHi := hexDigit(b[3*i])
		lo, okLo := hexDigit(b[3*i+1])
		if !okHi || !okLo || i < 5 && b[3*i+2] != ':' {
			return MAC{}, false
		}
		m[i] = hi<<4 | lo
	}
	return m, true
}

// hexDigit returns the value of the hexadecimal digit c (either case).
func hexDigit(c byte) (byte, bool) {
	if d := c - '0'; d <= 9 {
		return d, true
	}
	if d := (c | 0x20) - 'a'; d <= 5 { // c | 0x20 lowers the case of a letter
		return d + 10, true
	}
	return 0, false
}

// IsZero reports whether m is the zero value (no address).
func (m MAC) IsZero() bool { return m == MAC{} }

// String returns m in lower-case colon form, as conn.log writes it.
func (m MAC) String() string { return net.HardwareAddr(m[:]).String() }

// Proto is a connection's transport.
type Proto uint8

// Transports as conn.log names them.
const (
	ProtoOther Proto = iota
	ProtoTCP
	ProtoUDP
	ProtoICMP
)

// String returns the conn.log name of p.
func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	}
	return "unknown_transport"
}

// State is Zeek's conn_state.
type State uint8

// Zeek's connection states.
const (
	StateOther State = iota
	S0
	S1
	SF
	REJ
	S2
	S3
	RSTO
	RSTR
	RSTOS0
	RSTRH
	SH
	SHR
	OTH
)

var stateNames = [...]string{"", "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"}

// String returns the conn.log name of s.
func (s State) String() string { return stateNames[s] }

func parseState(b []byte) State { return StateNamed(string(b)) }

func parseProto(b []byte) Proto { return ProtoNamed(string(b)) }

// StateNamed is the State conn.log's conn_state name stands for
// (StateOther for any other text).
func StateNamed(name string) State {
	for i := 1; i < len(stateNames); i++ {
		if name == stateNames[i] {
			return State(i)
		}
	}
	return StateOther
}

// ProtoNamed is the Proto conn.log's proto name stands for (ProtoOther
// for any other text).
func ProtoNamed(name string) Proto {
	switch name {
	case "tcp":
		return ProtoTCP
	case "udp":
		return ProtoUDP
	case "icmp":
		return ProtoICMP
	}
	return ProtoOther
}

// Conn decodes the shared conn.log fields of the record once; later calls
// return the same value. It reads one pass over the fields.
func (r *Rec) Conn() *Conn {
	if r.connDone {
		return &r.conn
	}
	r.connDone = true
	c := &r.conn
	*c = Conn{}
	var seen uint8
	for _, f := range r.Fields() {
		v := r.Value(f)
		s := Unquoted(v)
		switch string(r.Key(f)) {
		case "ts":
			c.TS, _ = parseNumber(v)
		case "uid":
			c.UID = s
		case "id.orig_h":
			c.Orig = ParseAddr(s)
		case "id.orig_p":
			p, _ := parseUint(v)
			c.OrigP = uint16(p)
		case "id.resp_h":
			c.Resp = ParseAddr(s)
		case "id.resp_p":
			p, _ := parseUint(v)
			c.RespP = uint16(p)
		case "proto":
			c.Proto = parseProto(s)
		case "service":
			c.Service = s
		case "ip_proto":
			c.IPProto, _ = parseUint(v)
		case "duration":
			c.Duration, _ = parseNumber(v)
		case "orig_bytes":
			c.OrigBytes, _ = parseUint(v)
		case "resp_bytes":
			c.RespBytes, _ = parseUint(v)
		case "conn_state":
			c.State = parseState(s)
		case "history":
			c.History = s
		case "orig_pkts":
			c.OrigPkts, _ = parseUint(v)
		case "resp_pkts":
			c.RespPkts, _ = parseUint(v)
		case "orig_ip_bytes":
			c.OrigIPBytes, _ = parseUint(v)
		case "missed_bytes":
			c.MissedBytes, _ = parseUint(v)
		case "resp_ip_bytes":
			c.RespIPBytes, _ = parseUint(v)
		// The flags and L2 texts are the key's first field, as Bool,
		// Has and Bytes read them (a Zeek log given as input may repeat
		// a key).
		case "local_orig":
			if seen&seenLocalOrig == 0 {
				seen |= seenLocalOrig
				c.LocalOrig = string(v) == "true"
			}
		case "local_resp":
			if seen&seenLocalResp == 0 {
				seen |= seenLocalResp
				c.LocalResp = string(v) == "true"
			}
		case "tunnel_parents":
			if seen&seenTunnel == 0 {
				seen |= seenTunnel
				c.Tunneled = string(v) != "null"
			}
		case "orig_l2_addr":
			c.OrigMAC, _ = ParseMAC(s)
			if seen&seenOrigL2 == 0 {
				seen |= seenOrigL2
				c.OrigL2 = s
			}
		case "resp_l2_addr":
			c.RespMAC, _ = ParseMAC(s)
			if seen&seenRespL2 == 0 {
				seen |= seenRespL2
				c.RespL2 = s
			}
		}
	}
	return c
}

// Conn's fields read from a key's first field only.
const (
	seenLocalOrig = 1 << iota
	seenLocalResp
	seenTunnel
	seenOrigL2
	seenRespL2
)

// Unquoted is a raw value's text as Rec.Bytes gives it: a JSON string's
// contents without its quotes (not unescaped), nil for any other value.
func Unquoted(v []byte) []byte {
	if len(v) >= 2 && v[0] == '"' {
		return v[1 : len(v)-1]
	}
	return nil
}

// Established reports whether the TCP handshake completed (Zeek's states
// after a SYN-ACK was answered), or for UDP/ICMP whether the responder
// answered.
func (c *Conn) Established() bool {
	if c.Proto != ProtoTCP {
		return c.RespPkts > 0
	}
	switch c.State {
	case SF, S1, S2, S3, RSTO, RSTR:
		return true
	}
	return false
}

// onlyBadChecksums reports whether a history holds nothing but bad
// checksums ('C' from the originator, 'c' from the responder).
func onlyBadChecksums(h []byte) bool {
	for _, b := range h {
		if b != 'C' && b != 'c' {
			return false
		}
	}
	return len(h) > 0
}

// Probe reports whether the connection looks like a probe: the responder
// sent no payload and the originator none either, or the attempt failed
// (no answer, rejected, half-open). A connection whose every packet had a
// bad checksum (history only 'C' and 'c': not analysed, as Zeek does) is
// none: nothing says what its packets were (a capture with checksum
// offload shows every outgoing connection so).
func (c *Conn) Probe() bool {
	if onlyBadChecksums(c.History) {
		return false
	}
	switch c.Proto {
	case ProtoTCP:
		switch c.State {
		case S0, REJ, RSTOS0, RSTRH, SH, SHR, OTH:
			return c.RespBytes == 0
		}
		return c.OrigBytes == 0 && c.RespBytes == 0
	case ProtoUDP:
		return c.RespPkts == 0
	case ProtoICMP:
		return true
	}
	return false
}

// HasService reports whether the record's service list ("ssl,http")
// names name.
func (c *Conn) HasService(name string) bool {
	for rest := c.Service; len(rest) > 0; {
		item := rest
		if i := bytes.IndexByte(rest, ','); i >= 0 {
			item, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if string(item) == name {
			return true
		}
	}
	return false
}
