// Package rdp analyzes the Remote Desktop Protocol's connection sequence
// and writes Zeek's rdp.log (see Zeek's base/protocols/rdp): the client's
// cookie (usually the user name, cut to 9 characters by the client),
// the security protocol the server chose, the result (a negotiation
// failure, the GCC conference's result, or "encrypted" once TLS or
// CredSSP takes over), and, for standard RDP security, the client's core
// and network data (name, product id, desktop size, colour depth,
// channels) and the server's security data (encryption method and level,
// certificate type, count and permanence).
//
// When the server picks TLS, CredSSP (HYBRID) or HYBRID_EX, the
// connection is handed to the TLS analyzer after the server's negotiation
// response (proto.Upgrader), as Zeek does: ssl.log gets the handshake and
// conn.log's service reads "rdp,ssl".
//
// Not written, unlike Zeek: keyboard_layout and client_build, which Zeek
// names from tables of Windows language and build numbers.
//
// One record per connection, at its end (Zeek writes it ten seconds after
// the connection request, or at the end); like Zeek, only when a
// connection request, a result or client data was seen.
//
// Bounds: of each TPKT at most MaxKeep bytes are kept; at most MaxChannels
// channel names and MaxCerts certificates are counted.
package rdp

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/wire"
	"github.com/vigil-nsm/vigil/internal/record"
)

const (
	// MaxKeep is how many bytes of one TPKT are kept for parsing (the MCS
	// connect PDUs with their certificates fit).
	MaxKeep = 16 << 10
	// MaxChannels bounds the channel names kept.
	MaxChannels = 32
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "rdp",
		Transports: []uint8{6},
		Ports:      []uint16{3389},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Sure when the client's first bytes are a TPKT holding an
// X.224 connection request with RDP's marks (a "Cookie: mstshash=" or an
// RDP_NEG_REQ), Maybe for other TPKT bytes to port 3389, No otherwise:
// other protocols on TPKT and X.224 (ISO-TSAP on port 102: S7comm) are
// not RDP.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 || len(first) < 4 || first[0] != 3 || first[1] != 0 {
		return proto.No
	}
	if dir == proto.FromOrig && len(first) >= 11 && first[5] == 0xE0 && int(first[4]) >= 6 &&
		rdpMarks(first[11:min(len(first), 5+int(first[4]))]) {
		return proto.Sure
	}
	if respPort == 3389 {
		return proto.Maybe
	}
	return proto.No
}

// rdpMarks reports whether the variable part of an X.224 connection
// request holds RDP's cookie or ends in an RDP_NEG_REQ.
func rdpMarks(v []byte) bool {
	if bytes.HasPrefix(v, cookiePrefix) {
		return true
	}
	n := len(v)
	return n >= 8 && v[n-8] == 1 && v[n-6] == 8 && v[n-5] == 0
}

// side is one direction's TPKT framing.
type side struct {
	hdr  [4]byte
	nh   int
	need int
	msg  []byte
}

// info is what rdp.log keeps of a connection.
type info struct {
	ts                                int64
	requested, seen                   bool
	cookieValue, result, protocol     string
	channels                          []string
	clientName, productID, colorDepth string
	hasCore                           bool
	width, height                     uint16
	certType, encLevel, encMethod     string
	certCount                         int
	hasCert, certPermanent            bool
}

// Analyzer follows one RDP connection's setup; it implements
// proto.Analyzer and proto.Upgrader.
type Analyzer struct {
	proto.Framed

	sides [2]side
	info  info

	// hand-over to TLS after the negotiation response
	tls       bool // the server picked TLS, CredSSP or HYBRID_EX
	encrypted bool // standard RDP security began (server security data)
	asked     bool
	consumed  int // bytes of the current Data call up to the response's end
	line      []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{Framed: proto.Framed{CI: ci, Out: out, Name: "rdp"}}
}

// Upgrade implements proto.Upgrader: TLS from the end of the server's
// negotiation response that chose it.
func (a *Analyzer) Upgrade() (next string, consumed int, ok bool) {
	if !a.tls || a.asked {
		return "", 0, false
	}
	a.asked = true
	return "ssl", a.consumed, true
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if int(dir) > 1 || a.tls {
		return
	}
	s := &a.sides[dir]
	total := len(data)
	for len(data) > 0 && !a.Dead && !a.tls {
		if s.nh < 4 {
			c := copy(s.hdr[s.nh:], data)
			s.nh += c
			data = data[c:]
			if s.nh < 4 {
				return
			}
			n := int(binary.BigEndian.Uint16(s.hdr[2:]))
			if s.hdr[0] != 3 || n < 4 {
				a.Dead = true // not TPKT (fast-path PDUs come once the session is encrypted)
				return
			}
			s.need = n - 4
			s.msg = s.msg[:0]
		}
		take := min(s.need, len(data))
		if k := min(take, MaxKeep-len(s.msg)); k > 0 {
			s.msg = append(s.msg, data[:k]...)
		}
		s.need -= take
		data = data[take:]
		if s.need == 0 {
			s.nh = 0
			a.consumed = total - len(data)
			a.tpkt(dir, ts, s.msg)
		}
	}
}

// tpkt handles one TPKT's X.224 PDU.
func (a *Analyzer) tpkt(dir proto.Direction, ts int64, m []byte) {
	if len(m) < 2 || int(m[0])+1 > len(m) {
		return
	}
	li := int(m[0])
	switch m[1] & 0xF0 {
	case 0xE0: // connection request
		if dir == proto.FromOrig && li >= 6 {
			a.connectRequest(ts, m[7:li+1])
		}
	case 0xD0: // connection confirm
		if dir == proto.FromResp && li >= 6 {
			a.connectConfirm(ts, m[7:li+1])
		}
	case 0xF0: // data: the MCS connect PDUs, until standard RDP encryption
		if li >= 2 && len(m) > li+1 && !a.encrypted && (a.info.requested || a.CI == nil || a.CI.RespP == 3389) {
			a.mcs(dir, ts, m[li+1:])
		}
	}
}

var cookiePrefix = []byte("Cookie: mstshash=")

// connectRequest reads the cookie (Zeek's: the text after
// "Cookie: mstshash=" up to CR; empty when the request has none).
func (a *Analyzer) connectRequest(ts int64, v []byte) {
	if !rdpMarks(v) && (a.CI == nil || a.CI.RespP != 3389) {
		return // X.224 without RDP's marks, away from RDP's port: not RDP
	}
	a.begin(ts)
	a.Confirmed = true
	a.info.requested = true
	if bytes.HasPrefix(v, cookiePrefix) {
		c := v[len(cookiePrefix):]
		if i := bytes.IndexByte(c, '\r'); i >= 0 {
			c = c[:i]
		}
		a.info.cookieValue = string(c[:min(len(c), 256)])
	}
}

// connectConfirm reads the negotiation response (the protocol the server
// chose: past RDP itself the connection turns to TLS) or failure.
func (a *Analyzer) connectConfirm(ts int64, v []byte) {
	if !a.info.requested {
		return
	}
	a.begin(ts)
	if len(v) < 8 {
		return
	}
	code := binary.LittleEndian.Uint32(v[4:])
	switch v[0] {
	case 2:
		a.info.protocol = securityProtocol(code)
		if code > 0 {
			a.tls = true
			if a.info.result == "" {
				a.info.result = "encrypted"
			}
		}
	case 3:
		a.info.result = failureCode(code)
	}
}

// begin notes the time of the connection's first RDP message.
func (a *Analyzer) begin(ts int64) {
	if !a.info.seen {
		a.info.seen, a.info.ts = true, ts
	}
}

// mcs reads the MCS connect PDUs: the client's (GCC "Duca") and the
// server's (GCC "McDn") data blocks.
func (a *Analyzer) mcs(dir proto.Direction, ts int64, m []byte) {
	key := []byte("Duca")
	if dir == proto.FromResp {
		key = []byte("McDn")
	}
	i := bytes.Index(m, key)
	if i < 0 {
		return
	}
	a.begin(ts)
	a.Confirmed = true
	if dir == proto.FromResp && i >= 4 {
		a.info.result = gccResult(m[i-4])
	}
	blocks := m[i+4:]
	// A PER length: one byte, or two with the top bit set.
	if len(blocks) > 0 && blocks[0]&0x80 != 0 {
		blocks = blocks[min(2, len(blocks)):]
	} else if len(blocks) > 0 {
		blocks = blocks[1:]
	}
	for len(blocks) >= 4 {
		typ := binary.LittleEndian.Uint16(blocks)
		n := int(binary.LittleEndian.Uint16(blocks[2:]))
		if n < 4 || n > len(blocks) {
			break
		}
		a.block(typ, blocks[4:n])
		blocks = blocks[n:]
	}
}

// block reads one data block.
func (a *Analyzer) block(typ uint16, b []byte) {
	switch typ {
	case 0xC001:
		a.clientCore(b)
	case 0xC003:
		a.clientNetwork(b)
	case 0x0C02:
		a.serverSecurity(b)
	}
}

// clientCore reads the client's core data (MS-RDPBCGR 2.2.1.3.2).
func (a *Analyzer) clientCore(b []byte) {
	if len(b) < 206 { // through clientDigProductId, as Zeek requires
		return
	}
	in := &a.info
	in.hasCore = true
	in.width = binary.LittleEndian.Uint16(b[4:])
	in.height = binary.LittleEndian.Uint16(b[6:])
	in.clientName = wire.UTF16LE(b[20:52])
	in.colorDepth = highColorDepth(binary.LittleEndian.Uint16(b[136:]))
	if binary.LittleEndian.Uint16(b[140:])&0x0002 != 0 { // RNS_UD_CS_WANT_32BPP_SESSION
		in.colorDepth = "32bit"
	}
	in.productID = wire.UTF16LE(b[142:206])
}

// clientNetwork reads the channels the client asks for.
func (a *Analyzer) clientNetwork(b []byte) {
	if len(b) < 4 {
		return
	}
	n := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	a.info.channels = a.info.channels[:0]
	for i := 0; i < n && len(b) >= 12 && len(a.info.channels) < MaxChannels; i++ {
		name := b[:8]
		if j := bytes.IndexByte(name, 0); j >= 0 {
			name = name[:j]
		}
		a.info.channels = append(a.info.channels, string(name))
		b = b[12:]
	}
}

// serverSecurity reads the server's security data: encryption method
// and level, and its certificate (type, permanence, count).
func (a *Analyzer) serverSecurity(b []byte) {
	if len(b) < 8 {
		return
	}
	in := &a.info
	method, level := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	in.encMethod, in.encLevel = encryptionMethod(method), encryptionLevel(level)
	if method > 0 && level > 0 { // standard RDP encryption from here on (Zeek's rdp_begin_encryption)
		a.encrypted = true
		in.protocol = "RDP"
		if in.result == "" {
			in.result = "encrypted"
		}
	}
	if len(b) < 16 {
		return
	}
	random := int(binary.LittleEndian.Uint32(b[8:]))
	certLen := int(binary.LittleEndian.Uint32(b[12:]))
	b = b[16:]
	if random < 0 || random > len(b) || certLen < 4 || certLen > len(b)-random {
		return
	}
	cert := b[random : random+certLen]
	version := binary.LittleEndian.Uint32(cert)
	in.hasCert = true
	in.certPermanent = version&0x80000000 == 0
	switch version & 0x7FFFFFFF {
	case 1:
		in.certType, in.certCount = "RSA", 1
	case 2:
		in.certType = "X.509"
		if len(cert) >= 8 {
			in.certCount = int(min(binary.LittleEndian.Uint32(cert[4:]), 64))
		}
	default:
		in.certType = "unknown-" + strconv.Itoa(int(version&0x7FFFFFFF))
	}
}

// End implements proto.Analyzer: the connection's record.
func (a *Analyzer) End(ts int64) {
	in := &a.info
	if !in.requested && in.result == "" && !in.hasCore {
		return
	}
	b := proto.AppendConnHeader(a.line[:0], in.ts, a.CI)
	if in.requested {
		b = record.AppendStringField(b, "cookie", in.cookieValue)
	}
	b = appendOpt(b, "result", in.result)
	b = appendOpt(b, "security_protocol", in.protocol)
	if len(in.channels) > 0 {
		b = record.AppendStringsField(b, "client_channels", in.channels)
	}
	if in.hasCore {
		b = record.AppendStringField(b, "client_name", in.clientName)
		b = record.AppendStringField(b, "client_dig_product_id", in.productID)
		b = record.AppendUintField(b, "desktop_width", uint64(in.width))
		b = record.AppendUintField(b, "desktop_height", uint64(in.height))
		b = appendOpt(b, "requested_color_depth", in.colorDepth)
	}
	b = appendOpt(b, "cert_type", in.certType)
	b = record.AppendUintField(b, "cert_count", uint64(in.certCount))
	if in.hasCert {
		b = record.AppendBoolField(b, "cert_permanent", in.certPermanent)
	}
	b = appendOpt(b, "encryption_level", in.encLevel)
	b = appendOpt(b, "encryption_method", in.encMethod)
	b = append(b, '}')
	a.line = b
	if a.Out != nil {
		a.Out.Record("rdp", b)
	}
}

func appendOpt(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return record.AppendStringField(b, k, v)
}
