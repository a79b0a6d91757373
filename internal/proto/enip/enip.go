// Package enip analyzes EtherNet/IP (ENIP) encapsulation and the CIP
// explicit messages it carries, over TCP and UDP port 44818, and writes
// three logs in the spirit of CISA's ICSNPP-ENIP plugin:
//
//   - enip.log: one record per encapsulation message: is_orig,
//     enip_command (snake-case name, "list_identity" as Suricata names it),
//     enip_command_code ("0x0063"), length, session_handle ("0x…", 8 hex
//     digits), enip_status ("success", or the code as "0x…" when unknown),
//     sender_context ("0x…", the 8 bytes in wire order) and options.
//   - cip.log: one record per CIP message in a SendRRData (unconnected data
//     item 0x00B2) or SendUnitData (connected data item 0x00B1) message:
//     is_orig, enip_command, connection_id (connected messages),
//     cip_sequence_count (connected), direction (request or response, from
//     the service's response bit), cip_service_code ("0x4c", response bit
//     cleared), cip_service (its name where known), for responses
//     cip_status_code, cip_status and cip_extended_status (the first
//     additional status word), for requests the first class_id, class_name,
//     instance_id and attribute_id of the request path (logical segments of
//     8, 16 or 32 bits, as "0x…") and tag (ANSI extended symbol segments
//     joined by ".").
//   - enip_list_identity.log: one record per CIP Identity item (0x000C) of
//     a ListIdentity response: proto (the transport it came over: a
//     broadcast is answered over UDP), encapsulation_version, socket_address,
//     socket_port, vendor_id (vendor_name for vendor 1 only), device_type_id,
//     device_type (well-known types), product_code, revision ("major.minor"),
//     device_status ("0x0030"), serial_number ("0x00524d8e"), product_name
//     and device_state.
//
// Object-specific service codes (0x4B and up) are named only where the
// object is known: for the Connection Manager (class 0x06: Forward_Open …)
// and for Logix tag services (a symbolic path or the Symbol class 0x6B).
// A response gets the object of the request it answers (same sender context,
// or for connected messages the same sequence count) when that request is
// among the last few. The services inside a Multiple_Service_Packet and the
// request inside an Unconnected_Send are not logged on their own; the
// target answers an Unconnected_Send with the embedded request's service,
// so that answer is named after the embedded request (a Read_Tag_Fragmented
// answer 0xD2 is not an Unconnected_Send one), except for the routing
// errors of Unconnected_Send itself (see routingError).
//
// Bounds: each side keeps one 24-byte header and the first bodyKeep bytes
// of the message's data (enough for the CPF items, a CIP header and path,
// and an Identity item); the rest is skipped. Of a message's CPF items the
// first maxItems are read. A TCP header with an unknown
// command stops the analyzer (framing is lost), as a gap does. UDP 2222
// (CIP class 0/1 I/O, not encapsulated) is not analysed.
package enip

import (
	"encoding/binary"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Port is EtherNet/IP's TCP and UDP port.
const Port = 44818

// hdrLen is the encapsulation header's size.
const hdrLen = 24

// bodyKeep is how many bytes of a message's data (after the header) are
// kept for parsing; the rest is skipped.
const bodyKeep = 512

func init() {
	proto.Register(&proto.Factory{
		Partial:    true, // a binary ICS protocol: analysed mid-stream too, as Modbus
		Name:       "enip",
		Transports: []uint8{6, 17},
		Ports:      []uint16{Port},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Encapsulation commands.
const (
	cmdNOP               = 0x0000
	cmdListServices      = 0x0004
	cmdListIdentity      = 0x0063
	cmdListInterfaces    = 0x0064
	cmdRegisterSession   = 0x0065
	cmdUnregisterSession = 0x0066
	cmdSendRRData        = 0x006F
	cmdSendUnitData      = 0x0070
	cmdIndicateStatus    = 0x0072
	cmdCancel            = 0x0073
)

// commandName is a known command's name ("" for others).
func commandName(c uint16) string {
	switch c {
	case cmdNOP:
		return "nop"
	case cmdListServices:
		return "list_services"
	case cmdListIdentity:
		return "list_identity"
	case cmdListInterfaces:
		return "list_interfaces"
	case cmdRegisterSession:
		return "register_session"
	case cmdUnregisterSession:
		return "unregister_session"
	case cmdSendRRData:
		return "send_rr_data"
	case cmdSendUnitData:
		return "send_unit_data"
	case cmdIndicateStatus:
		return "indicate_status"
	case cmdCancel:
		return "cancel"
	}
	return ""
}

// statusName names the encapsulation status codes ("" for others).
func statusName(s uint32) string {
	switch s {
	case 0x0000:
		return "success"
	case 0x0001:
		return "invalid_command"
	case 0x0002:
		return "insufficient_memory"
	case 0x0003:
		return "incorrect_data"
	case 0x0064:
		return "invalid_session_handle"
	case 0x0065:
		return "invalid_length"
	case 0x0069:
		return "unsupported_protocol_version"
	}
	return ""
}

// Detect is Likely when the first bytes hold an encapsulation header with
// a known command, zero options and a length that matches the bytes (or
// the next header that follows), on port 44818 or, elsewhere, when the
// message is one only ENIP sends (a ListIdentity, ListServices or
// ListInterfaces request or an Identity response, a RegisterSession of
// protocol version 1, a SendRRData/SendUnitData with a CPF address item).
// It is Maybe on port 44818 unless the header rules ENIP out, No
// otherwise.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 && transport != 17 {
		return proto.No
	}
	onPort := respPort == Port
	if len(first) < hdrLen {
		if len(first) >= 2 && commandName(binary.LittleEndian.Uint16(first)) == "" {
			return proto.No
		}
		if onPort {
			return proto.Maybe
		}
		return proto.No
	}
	cmd := binary.LittleEndian.Uint16(first)
	n := int(binary.LittleEndian.Uint16(first[2:]))
	if commandName(cmd) == "" || binary.LittleEndian.Uint32(first[20:]) != 0 {
		return proto.No
	}
	end := hdrLen + n
	// The length is the rest of the datagram's or, on TCP, may be followed
	// by the next header; detection sees at most 512 bytes of either.
	fits := len(first) == end || len(first) >= 512 && end > len(first)
	if transport == 6 {
		fits = fits || len(first) > end+2 && commandName(binary.LittleEndian.Uint16(first[end:])) != ""
	}
	if !fits {
		if onPort {
			return proto.Maybe
		}
		return proto.No
	}
	if onPort || distinctive(cmd, first[:min(end, len(first))]) {
		return proto.Likely
	}
	return proto.No
}

// distinctive reports whether the message m (header and data, possibly
// cut short) is one that Detect trusts away from port 44818.
func distinctive(cmd uint16, m []byte) bool {
	n := int(binary.LittleEndian.Uint16(m[2:]))
	status := binary.LittleEndian.Uint32(m[8:])
	d := m[hdrLen:]
	switch cmd {
	case cmdListIdentity, cmdListServices, cmdListInterfaces:
		if n == 0 {
			return status == 0 && binary.LittleEndian.Uint32(m[4:]) == 0
		}
		if cmd == cmdListIdentity && len(d) >= 6 {
			return binary.LittleEndian.Uint16(d) >= 1 && binary.LittleEndian.Uint16(d[2:]) == itemIdentity
		}
	case cmdRegisterSession:
		return n == 4 && len(d) >= 4 && binary.LittleEndian.Uint16(d) == 1
	case cmdSendRRData, cmdSendUnitData:
		if len(d) >= 10 && binary.LittleEndian.Uint32(d) == 0 {
			count := binary.LittleEndian.Uint16(d[6:])
			t := binary.LittleEndian.Uint16(d[8:])
			return count >= 2 && count <= 4 && (t == itemNull || t == itemConnAddr || t == itemSeqAddr)
		}
	}
	return false
}

// CPF item types.
const (
	itemNull      = 0x0000
	itemIdentity  = 0x000C
	itemConnAddr  = 0x00A1
	itemConnData  = 0x00B1
	itemUnconData = 0x00B2
	itemSeqAddr   = 0x8002
)

type side struct {
	hdr   [hdrLen]byte
	nh    int
	need  int // data bytes of the current message still to come
	body  [bodyKeep]byte
	nbody int
}

// pendingLen is how many requests are remembered to name the services of
// the responses that answer them.
const pendingLen = 8

// Object kinds a request addressed, for naming object-specific services.
const (
	objOther uint8 = iota
	objConnManager
	objLogixTag
)

type pending struct {
	key  uint64
	kind uint8
	used bool
	// embedded is set for an Unconnected_Send whose embedded request was
	// read: its service (response bit cleared) and object kind, for
	// naming the target's answer, which carries the embedded service.
	embedded bool
	embSvc   uint8
	embKind  uint8
}

// Analyzer is the EtherNet/IP analyzer of one connection; its state is
// fixed-size (see bodyKeep).
type Analyzer struct {
	proto.Framed
	sides   [2]side
	pending [pendingLen]pending
	next    int
	line    []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{Framed: proto.Framed{CI: ci, Out: out, Name: "enip"}}
}

// End implements proto.Analyzer.
func (a *Analyzer) End(ts int64) {}

// Data implements proto.Analyzer: the next bytes of a TCP side, or one UDP
// datagram.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if int(dir) > 1 {
		return
	}
	if a.CI != nil && a.CI.Transport == 17 {
		a.datagram(dir, ts, data)
		return
	}
	s := &a.sides[dir]
	for len(data) > 0 && !a.Dead {
		if s.nh < hdrLen {
			c := copy(s.hdr[s.nh:], data)
			s.nh += c
			data = data[c:]
			if s.nh < hdrLen {
				return
			}
			if commandName(binary.LittleEndian.Uint16(s.hdr[:])) == "" {
				a.Dead = true // not ENIP, or framing lost
				return
			}
			s.need = int(binary.LittleEndian.Uint16(s.hdr[2:]))
			s.nbody = 0
		}
		take := min(s.need, len(data))
		if k := min(take, bodyKeep-s.nbody); k > 0 {
			copy(s.body[s.nbody:], data[:k])
			s.nbody += k
		}
		s.need -= take
		data = data[take:]
		if s.need == 0 {
			a.message(dir, ts, &s.hdr, s.body[:s.nbody])
			s.nh = 0
		}
	}
}

// datagram parses the messages of one UDP datagram; one cut short is
// parsed as far as it goes.
func (a *Analyzer) datagram(dir proto.Direction, ts int64, data []byte) {
	for len(data) >= hdrLen {
		hdr := (*[hdrLen]byte)(data)
		if commandName(binary.LittleEndian.Uint16(hdr[:])) == "" {
			return
		}
		end := hdrLen + int(binary.LittleEndian.Uint16(hdr[2:]))
		a.message(dir, ts, hdr, data[hdrLen:min(end, len(data))])
		if end >= len(data) {
			return
		}
		data = data[end:]
	}
}

// message logs one encapsulation message: hdr is its header, d its data
// (at most the first bodyKeep bytes, or what a datagram held).
func (a *Analyzer) message(dir proto.Direction, ts int64, hdr *[hdrLen]byte, d []byte) {
	a.Confirmed = true
	cmd := binary.LittleEndian.Uint16(hdr[:])
	status := binary.LittleEndian.Uint32(hdr[8:])
	b := proto.AppendConnHeader(a.line[:0], ts, a.CI)
	b = record.AppendBoolField(b, "is_orig", dir == proto.FromOrig)
	b = record.AppendStringField(b, "enip_command", commandName(cmd))
	b = appendHexField(b, "enip_command_code", uint64(cmd), 4)
	b = record.AppendUintField(b, "length", uint64(binary.LittleEndian.Uint16(hdr[2:])))
	b = appendHexField(b, "session_handle", uint64(binary.LittleEndian.Uint32(hdr[4:])), 8)
	if name := statusName(status); name != "" {
		b = record.AppendStringField(b, "enip_status", name)
	} else {
		b = appendHexField(b, "enip_status", uint64(status), 8)
	}
	b = appendHexField(b, "sender_context", binary.BigEndian.Uint64(hdr[12:]), 16)
	b = record.AppendUintField(b, "options", uint64(binary.LittleEndian.Uint32(hdr[20:])))
	b = append(b, '}')
	a.line = b
	if a.Out != nil {
		a.Out.Record("enip", b)
	}
	switch cmd {
	case cmdListIdentity:
		a.listIdentity(dir, ts, d)
	case cmdSendRRData, cmdSendUnitData:
		a.cpf(dir, ts, cmd, binary.BigEndian.Uint64(hdr[12:]), d)
	}
}

// maxItems bounds the CPF items read of one message: a message has an
// address item and a data item, and up to two sockaddr items (ODVA Vol. 2,
// 2-6), or one Identity item per ListIdentity reply. A count of thousands
// made a record of each (one 50 kB datagram: 10,000 cip records, 2.4 MB).
const maxItems = 4

// items calls f for each CPF item of b (an item count, then items), the
// last one possibly cut short; at most maxItems.
func items(b []byte, f func(typ uint16, data []byte)) {
	if len(b) < 2 {
		return
	}
	count := min(int(binary.LittleEndian.Uint16(b)), maxItems)
	b = b[2:]
	for i := 0; i < count && len(b) >= 4; i++ {
		typ := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		b = b[4:]
		f(typ, b[:min(n, len(b))])
		if n >= len(b) {
			return
		}
		b = b[n:]
	}
}

// listIdentity logs the Identity items of a ListIdentity response (a
// request has no data).
func (a *Analyzer) listIdentity(dir proto.Direction, ts int64, d []byte) {
	items(d, func(typ uint16, it []byte) {
		if typ == itemIdentity {
			a.identity(dir, ts, it)
		}
	})
}

// identity logs one CIP Identity item; fields that are cut short are left
// out, and an item too short for the vendor id is not logged.
func (a *Analyzer) identity(dir proto.Direction, ts int64, it []byte) {
	// version(2) sin_family(2) sin_port(2) sin_addr(4) sin_zero(8)
	// vendor(2) type(2) product(2) revision(2) status(2) serial(4)
	// name(1+n) state(1); socket fields big-endian, the rest little-endian.
	if len(it) < 20 {
		return
	}
	le := binary.LittleEndian
	b := proto.AppendConnHeader(a.line[:0], ts, a.CI)
	b = record.AppendBoolField(b, "is_orig", dir == proto.FromOrig)
	if a.CI != nil && a.CI.Transport == 17 {
		b = record.AppendStringField(b, "proto", "udp")
	} else {
		b = record.AppendStringField(b, "proto", "tcp")
	}
	b = record.AppendUintField(b, "encapsulation_version", uint64(le.Uint16(it)))
	b = record.AppendAddrField(b, "socket_address", netip.AddrFrom4([4]byte(it[6:10])))
	b = record.AppendUintField(b, "socket_port", uint64(binary.BigEndian.Uint16(it[4:])))
	vendor := le.Uint16(it[18:])
	b = record.AppendUintField(b, "vendor_id", uint64(vendor))
	if vendor == 1 {
		b = record.AppendStringField(b, "vendor_name", "Rockwell Automation/Allen-Bradley")
	}
	if len(it) >= 22 {
		t := le.Uint16(it[20:])
		b = record.AppendUintField(b, "device_type_id", uint64(t))
		if name := deviceTypeName(t); name != "" {
			b = record.AppendStringField(b, "device_type", name)
		}
	}
	if len(it) >= 24 {
		b = record.AppendUintField(b, "product_code", uint64(le.Uint16(it[22:])))
	}
	if len(it) >= 26 {
		b = record.AppendKey(b, "revision")
		b = append(b, '"')
		b = appendUint(b, uint64(it[24]))
		b = append(b, '.')
		b = appendUint(b, uint64(it[25]))
		b = append(b, '"')
	}
	if len(it) >= 28 {
		b = appendHexField(b, "device_status", uint64(le.Uint16(it[26:])), 4)
	}
	if len(it) >= 32 {
		b = appendHexField(b, "serial_number", uint64(le.Uint32(it[28:])), 8)
	}
	if len(it) >= 33 {
		n := int(it[32])
		if len(it) >= 33+n {
			b = record.AppendKey(b, "product_name")
			b = record.AppendBytesString(b, it[33:33+n])
			if len(it) >= 34+n {
				b = record.AppendUintField(b, "device_state", uint64(it[33+n]))
			}
		}
	}
	b = append(b, '}')
	a.line = b
	if a.Out != nil {
		a.Out.Record("enip_list_identity", b)
	}
}

// deviceTypeName names the well-known CIP device types (device profiles)
// ("" for others).
func deviceTypeName(t uint16) string {
	switch t {
	case 0x00:
		return "Generic Device"
	case 0x02:
		return "AC Drive"
	case 0x03:
		return "Motor Overload"
	case 0x04:
		return "Limit Switch"
	case 0x05:
		return "Inductive Proximity Switch"
	case 0x06:
		return "Photoelectric Sensor"
	case 0x07:
		return "General Purpose Discrete I/O"
	case 0x0C:
		return "Communications Adapter"
	case 0x0E:
		return "Programmable Logic Controller"
	case 0x13:
		return "DC Drive"
	case 0x15:
		return "Contactor"
	case 0x16:
		return "Motor Starter"
	case 0x17:
		return "Soft Start"
	case 0x18:
		return "Human-Machine Interface"
	case 0x22:
		return "Encoder"
	case 0x2B:
		return "Generic Device (keyable)"
	case 0x2C:
		return "Managed Switch"
	}
	return ""
}

// cpf reads the interface handle, timeout and CPF items of a SendRRData or
// SendUnitData message and logs the CIP message of each data item.
func (a *Analyzer) cpf(dir proto.Direction, ts int64, cmd uint16, ctx uint64, d []byte) {
	if len(d) < 6 {
		return
	}
	var connID uint32
	hasConn := false
	items(d[6:], func(typ uint16, it []byte) {
		switch typ {
		case itemConnAddr:
			if len(it) >= 4 {
				connID, hasConn = binary.LittleEndian.Uint32(it), true
			}
		case itemUnconData:
			a.cip(dir, ts, cmd, msgRef{key: ctx}, it)
		case itemConnData:
			if len(it) >= 2 {
				seq := binary.LittleEndian.Uint16(it)
				a.cip(dir, ts, cmd, msgRef{key: 1<<63 | uint64(seq), connected: true,
					seq: seq, connID: connID, hasConn: hasConn}, it[2:])
			}
		}
	})
}

// msgRef is how a CIP message is carried: the key that pairs a response
// with its request (the sender context, or the sequence count of a
// connected message) and the connected message's fields.
type msgRef struct {
	key       uint64
	connected bool
	seq       uint16
	connID    uint32
	hasConn   bool
}

// epath is what a request path names: the first class, instance and
// attribute logical segments, and the ANSI extended symbol segments.
type epath struct {
	class, instance, attribute          uint32
	hasClass, hasInstance, hasAttribute bool
	// syms are the offsets and lengths of up to maxSyms symbol names in
	// the path.
	syms  [maxSyms][2]uint16
	nsyms int
}

const maxSyms = 4

// parsePath reads the segments of an EPATH, stopping at the first one it
// does not know or that is cut short.
func parsePath(p []byte) (e epath) {
	for i := 0; i < len(p); {
		seg := p[i]
		size := 0
		switch seg >> 5 {
		case 0: // port segment: [link address size] [extended port] link address [pad]
			size = 2 // the segment byte and a one-byte link address
			if seg&0x10 != 0 {
				// The link address size is the byte after the segment
				// byte, before any extended port identifier.
				if i+1 >= len(p) {
					return
				}
				size = 2 + int(p[i+1])
			}
			if seg&0x0F == 0x0F {
				size += 2 // extended port identifier
			}
			size += size & 1
		case 1: // logical segment
			ltype, format := (seg>>2)&7, seg&3
			if ltype == 5 { // special: electronic key
				if format != 0 || i+1 >= len(p) || p[i+1] != 4 {
					return
				}
				size = 10
				break
			}
			var v uint32
			switch format {
			case 0:
				size = 2
				if i+size > len(p) {
					return
				}
				v = uint32(p[i+1])
			case 1:
				size = 4
				if i+size > len(p) {
					return
				}
				v = uint32(binary.LittleEndian.Uint16(p[i+2:]))
			case 2:
				size = 6
				if i+size > len(p) {
					return
				}
				v = binary.LittleEndian.Uint32(p[i+2:])
			default:
				return
			}
			switch {
			case ltype == 0 && !e.hasClass:
				e.class, e.hasClass = v, true
			case ltype == 1 && !e.hasInstance:
				e.instance, e.hasInstance = v, true
			case ltype == 4 && !e.hasAttribute:
				e.attribute, e.hasAttribute = v, true
			}
		case 4: // data segment
			if i+1 >= len(p) {
				return
			}
			switch seg {
			case 0x80: // simple data: a word count
				size = 2 + 2*int(p[i+1])
			case 0x91: // ANSI extended symbol: a byte count, padded to a word
				n := int(p[i+1])
				size = 2 + n + n&1
				if i+2+n <= len(p) && e.nsyms < maxSyms {
					e.syms[e.nsyms] = [2]uint16{uint16(i + 2), uint16(n)}
					e.nsyms++
				}
			default:
				return
			}
		default:
			return
		}
		i += size
	}
	return e
}

// kind is the object a request path addresses, for naming its
// object-specific services.
func (e *epath) kind() uint8 {
	switch {
	case e.nsyms > 0 || e.hasClass && e.class == 0x6B:
		return objLogixTag
	case e.hasClass && e.class == 0x06:
		return objConnManager
	}
	return objOther
}

// remember keeps a request's object kind (and embedded request) for the
// response.
func (a *Analyzer) remember(p pending) {
	p.used = true
	a.pending[a.next] = p
	a.next = (a.next + 1) % pendingLen
}

// recall returns the remembered request with key (and forgets it), one
// of kind objOther when there is none.
func (a *Analyzer) recall(key uint64) pending {
	for i := range a.pending {
		if p := &a.pending[i]; p.used && p.key == key {
			p.used = false
			return *p
		}
	}
	return pending{}
}

// svcUnconnectedSend is the Connection Manager's Unconnected_Send.
const svcUnconnectedSend = 0x52

// embeddedRequest reads the request an Unconnected_Send carries from the
// request data d (after the path): priority/time tick, timeout ticks,
// the embedded request's size, then the request (service, path size,
// path). It sets p's embedded service and the object kind of its path.
func embeddedRequest(d []byte, p *pending) {
	if len(d) < 5 {
		return
	}
	n := int(binary.LittleEndian.Uint16(d[2:]))
	emb := d[4:min(len(d), 4+n)]
	if len(emb) < 1 {
		return
	}
	p.embedded, p.embSvc, p.embKind = true, emb[0]&^0x80, objOther
	if len(emb) >= 2 {
		e := parsePath(emb[2:min(len(emb), 2+2*int(emb[1]))])
		p.embKind = e.kind()
	}
}

// routingError reports whether the response m (service 0x52) is an error
// of Unconnected_Send itself, the request not delivered (CIP Vol. 1,
// 3-5.6): general status 0x02 (resource unavailable) or 0x04 (path
// segment error), or 0x01 with the extended status 0x0204 (timed out),
// 0x0311 (invalid port), 0x0312 (invalid link address) or 0x0315
// (invalid segment in the connection path). Other statuses come from the
// target, in its answer to the embedded request.
func routingError(m []byte) bool {
	if len(m) < 3 {
		return false
	}
	switch m[2] {
	case 0x02, 0x04:
		return true
	case 0x01:
		if len(m) >= 6 && m[3] > 0 {
			switch binary.LittleEndian.Uint16(m[4:]) {
			case 0x0204, 0x0311, 0x0312, 0x0315:
				return true
			}
		}
	}
	return false
}

// responseKind is the object kind that names the service svc of the
// response m to the request p: an Unconnected_Send is answered by the
// target with the embedded request's service, or by the Connection
// Manager (service 0x52) when it could not deliver it.
func responseKind(p pending, svc uint8, m []byte) uint8 {
	if !p.embedded {
		return p.kind
	}
	switch {
	case svc == svcUnconnectedSend && (p.embSvc != svcUnconnectedSend || routingError(m)):
		return objConnManager
	case svc == p.embSvc:
		return p.embKind
	}
	return objOther
}

// cip logs one CIP message m.
func (a *Analyzer) cip(dir proto.Direction, ts int64, cmd uint16, ref msgRef, m []byte) {
	if len(m) < 1 {
		return
	}
	svc := m[0] &^ 0x80
	resp := m[0]&0x80 != 0
	b := proto.AppendConnHeader(a.line[:0], ts, a.CI)
	b = record.AppendBoolField(b, "is_orig", dir == proto.FromOrig)
	b = record.AppendStringField(b, "enip_command", commandName(cmd))
	if ref.hasConn {
		b = appendHexField(b, "connection_id", uint64(ref.connID), 8)
	}
	if ref.connected {
		b = record.AppendUintField(b, "cip_sequence_count", uint64(ref.seq))
	}
	var e epath
	var kind uint8
	if resp {
		b = record.AppendStringField(b, "direction", "response")
		kind = responseKind(a.recall(ref.key), svc, m)
	} else {
		b = record.AppendStringField(b, "direction", "request")
		p := pending{key: ref.key}
		if len(m) >= 2 {
			end := min(len(m), 2+2*int(m[1]))
			e = parsePath(m[2:end])
			p.kind = e.kind()
			if p.kind == objConnManager && svc == svcUnconnectedSend {
				embeddedRequest(m[end:], &p)
			}
		}
		kind = p.kind
		a.remember(p)
	}
	b = appendHexField(b, "cip_service_code", uint64(svc), 2)
	if name := serviceName(svc, kind); name != "" {
		b = record.AppendStringField(b, "cip_service", name)
	}
	if resp {
		if len(m) >= 3 {
			st := m[2]
			b = appendHexField(b, "cip_status_code", uint64(st), 2)
			if name := generalStatusName(st); name != "" {
				b = record.AppendStringField(b, "cip_status", name)
			}
			if len(m) >= 6 && m[3] > 0 {
				b = appendHexField(b, "cip_extended_status", uint64(binary.LittleEndian.Uint16(m[4:])), 4)
			}
		}
	} else {
		if e.hasClass {
			b = appendHexField(b, "class_id", uint64(e.class), 2)
			if name := className(e.class); name != "" {
				b = record.AppendStringField(b, "class_name", name)
			}
		}
		if e.hasInstance {
			b = appendHexField(b, "instance_id", uint64(e.instance), 2)
		}
		if e.hasAttribute {
			b = appendHexField(b, "attribute_id", uint64(e.attribute), 2)
		}
		if e.nsyms > 0 {
			p := m[2:]
			b = record.AppendKey(b, "tag")
			for i, s := range e.syms[:e.nsyms] {
				sym := p[s[0] : s[0]+s[1]]
				if i == 0 {
					b = record.AppendBytesString(b, sym)
					continue
				}
				// Join: drop the closing quote, then the next one's opening quote.
				b = append(b[:len(b)-1], '.')
				n := len(b)
				b = record.AppendBytesString(b, sym)
				b = append(b[:n], b[n+1:]...)
			}
		}
	}
	b = append(b, '}')
	a.line = b
	if a.Out != nil {
		a.Out.Record("cip", b)
	}
}

// serviceName names a CIP service code (response bit cleared): the common
// services, and object-specific ones of the Connection Manager and of
// Logix tags when kind says the request addressed them ("" for others).
func serviceName(svc uint8, kind uint8) string {
	if svc < 0x4B {
		switch svc {
		case 0x01:
			return "Get_Attributes_All"
		case 0x02:
			return "Set_Attributes_All"
		case 0x03:
			return "Get_Attribute_List"
		case 0x04:
			return "Set_Attribute_List"
		case 0x05:
			return "Reset"
		case 0x06:
			return "Start"
		case 0x07:
			return "Stop"
		case 0x08:
			return "Create"
		case 0x09:
			return "Delete"
		case 0x0A:
			return "Multiple_Service_Packet"
		case 0x0D:
			return "Apply_Attributes"
		case 0x0E:
			return "Get_Attribute_Single"
		case 0x10:
			return "Set_Attribute_Single"
		case 0x11:
			return "Find_Next_Object_Instance"
		case 0x14:
			return "Error_Response"
		case 0x15:
			return "Restore"
		case 0x16:
			return "Save"
		case 0x17:
			return "No_Operation"
		case 0x18:
			return "Get_Member"
		case 0x19:
			return "Set_Member"
		case 0x1A:
			return "Insert_Member"
		case 0x1B:
			return "Remove_Member"
		case 0x1C:
			return "GroupSync"
		}
		return ""
	}
	switch kind {
	case objConnManager:
		switch svc {
		case 0x4E:
			return "Forward_Close"
		case 0x52:
			return "Unconnected_Send"
		case 0x54:
			return "Forward_Open"
		case 0x5B:
			return "Large_Forward_Open"
		}
	case objLogixTag:
		switch svc {
		case 0x4C:
			return "Read_Tag"
		case 0x4D:
			return "Write_Tag"
		case 0x4E:
			return "Read_Modify_Write_Tag"
		case 0x52:
			return "Read_Tag_Fragmented"
		case 0x53:
			return "Write_Tag_Fragmented"
		}
	}
	return ""
}

// className names a few well-known CIP object classes ("" for others).
func className(c uint32) string {
	switch c {
	case 0x01:
		return "Identity"
	case 0x02:
		return "Message Router"
	case 0x04:
		return "Assembly"
	case 0x05:
		return "Connection"
	case 0x06:
		return "Connection Manager"
	case 0x6B:
		return "Symbol"
	case 0xF4:
		return "Port"
	case 0xF5:
		return "TCP/IP Interface"
	case 0xF6:
		return "Ethernet Link"
	}
	return ""
}

// generalStatuses are the CIP general status codes' names (CIP Vol. 1,
// Appendix B); codes 0x23 and 0x24 are left out.
var generalStatuses = [...]string{
	0x00: "Success",
	0x01: "Connection failure",
	0x02: "Resource unavailable",
	0x03: "Invalid parameter value",
	0x04: "Path segment error",
	0x05: "Path destination unknown",
	0x06: "Partial transfer",
	0x07: "Connection lost",
	0x08: "Service not supported",
	0x09: "Invalid attribute value",
	0x0A: "Attribute list error",
	0x0B: "Already in requested mode/state",
	0x0C: "Object state conflict",
	0x0D: "Object already exists",
	0x0E: "Attribute not settable",
	0x0F: "Privilege violation",
	0x10: "Device state conflict",
	0x11: "Reply data too large",
	0x12: "Fragmentation of a primitive value",
	0x13: "Not enough data",
	0x14: "Attribute not supported",
	0x15: "Too much data",
	0x16: "Object does not exist",
	0x17: "Service fragmentation sequence not in progress",
	0x18: "No stored attribute data",
	0x19: "Store operation failure",
	0x1A: "Routing failure, request packet too large",
	0x1B: "Routing failure, response packet too large",
	0x1C: "Missing attribute list entry data",
	0x1D: "Invalid attribute value list",
	0x1E: "Embedded service error",
	0x1F: "Vendor specific error",
	0x20: "Invalid parameter",
	0x21: "Write-once value or medium already written",
	0x22: "Invalid reply received",
	0x25: "Key failure in path",
	0x26: "Path size invalid",
	0x27: "Unexpected attribute in list",
	0x28: "Invalid member ID",
	0x29: "Member not settable",
}

func generalStatusName(s uint8) string {
	if int(s) < len(generalStatuses) {
		return generalStatuses[s]
	}
	return ""
}

const hexDigits = "0123456789abcdef"

// appendHexField appends the field k with v as a string "0x…" of at least
// digits hex digits.
func appendHexField(dst []byte, k string, v uint64, digits int) []byte {
	dst = record.AppendKey(dst, k)
	dst = append(dst, '"', '0', 'x')
	n := 1
	for x := v >> 4; x != 0; x >>= 4 {
		n++
	}
	n = max(n, digits)
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*uint(i)))&0xF])
	}
	return append(dst, '"')
}

func appendUint(dst []byte, v uint64) []byte {
	if v >= 10 {
		dst = appendUint(dst, v/10)
	}
	return append(dst, byte('0'+v%10))
}
