// Package snmp is the SNMP analyzer (v1, v2c, v3 over UDP): one snmp.log
// record per connection with Zeek's fields (base/protocols/snmp/main.zeek),
// written when the connection ends.
package snmp

import (
	"bytes"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Ports are SNMP's agent and trap ports.
var Ports = []uint16{161, 162}

// maxText bounds the community and display strings kept (bytes).
const maxText = 1024

func init() {
	proto.Register(&proto.Factory{
		Name:       "snmp",
		Transports: []uint8{17},
		Ports:      Ports,
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect says whether a datagram looks like SNMP: Likely when it is a BER
// SEQUENCE holding a known version and (v1/v2c) a community string
// followed by a PDU tag or (v3) a header sequence; Maybe for the ports
// alone.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 {
		return proto.No
	}
	if looksLikeSNMP(first) {
		return proto.Likely
	}
	if respPort == 161 || respPort == 162 {
		return proto.Maybe
	}
	return proto.No
}

func looksLikeSNMP(b []byte) bool {
	if len(b) < 2 || b[0] != tagSequence {
		return false
	}
	// The datagram may be cut short for detection: read the header
	// elements only.
	_, l, _, ok := readTLVHeader(b)
	if !ok {
		return false
	}
	body := b[l:]
	v, rest, ok := readInt(body)
	if !ok {
		return false
	}
	switch v {
	case 0, 1:
		_, rest, ok = expect(rest, tagOctetString)
		return ok && len(rest) > 0 && rest[0] >= 0xa0 && rest[0] <= 0xa8
	case 3:
		return len(rest) > 0 && rest[0] == tagSequence
	}
	return false
}

// readTLVHeader reads only an element's tag and length: the offset of its
// contents and their length (which may run past b).
func readTLVHeader(b []byte) (tag byte, off, n int, ok bool) {
	if len(b) < 2 {
		return 0, 0, 0, false
	}
	l := int(b[1])
	off = 2
	if l&0x80 != 0 {
		k := l & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, 0, 0, false
		}
		l = 0
		for _, c := range b[2 : 2+k] {
			l = l<<8 | int(c)
		}
		off += k
	}
	return b[0], off, l, l >= 0
}

// PDU types (context-specific constructed tags).
const (
	pduGet      = 0xa0
	pduGetNext  = 0xa1
	pduResponse = 0xa2
	pduSet      = 0xa3
	pduTrap     = 0xa4
	pduGetBulk  = 0xa5
	pduInform   = 0xa6
	pduTrapV2   = 0xa7
	pduReport   = 0xa8
)

// Message is what one SNMP datagram says that snmp.log uses.
type Message struct {
	Version   int64 // 0 (v1), 1 (v2c), 3 (v3)
	Community []byte
	HasComm   bool   // v1/v2c, or a v3 USM user name
	PDU       byte   // 0 when encrypted or unknown
	Encrypted bool   // v3 with privacy: the PDU is not visible
	Bindings  int    // variable bindings in the PDU
	SysDescr  []byte // sysDescr.0 octets in a response
	HasDescr  bool
	UpTicks   uint64 // sysUpTime.0 in a response (hundredths of seconds)
	HasUp     bool
}

var (
	oidSysDescr  = []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}
	oidSysUpTime = []byte{0x2b, 6, 1, 2, 1, 1, 3, 0}
)

// Parse decodes one SNMP datagram; ok is false when it is not a
// well-formed message of a known version (Zeek then logs nothing for it).
func Parse(b []byte) (m Message, ok bool) {
	body, _, ok := expect(b, tagSequence)
	if !ok {
		return m, false
	}
	m.Version, body, ok = readInt(body)
	if !ok {
		return m, false
	}
	switch m.Version {
	case 0, 1:
		m.Community, body, ok = expect(body, tagOctetString)
		if !ok {
			return m, false
		}
		m.HasComm = true
		return m, m.parsePDU(body)
	case 3:
		return m, m.parseV3(body)
	}
	return m, false
}

// parseV3 reads msgGlobalData, the USM security parameters (for the user
// name) and the scoped PDU, unless it is encrypted.
func (m *Message) parseV3(body []byte) bool {
	global, body, ok := expect(body, tagSequence)
	if !ok {
		return false
	}
	if _, global, ok = readInt(global); !ok { // msgID
		return false
	}
	if _, global, ok = readInt(global); !ok { // msgMaxSize
		return false
	}
	flags, global, ok := expect(global, tagOctetString)
	if !ok || len(flags) != 1 {
		return false
	}
	model, _, ok := readInt(global)
	if !ok {
		return false
	}
	secParams, body, ok := expect(body, tagOctetString)
	if !ok {
		return false
	}
	// Like Zeek, the USM user name stands in for the community, but only
	// when the PDU is in clear (Zeek logs none for encrypted PDUs).
	if model == 3 && flags[0]&0x02 == 0 {
		if user, ok := usmUser(secParams); ok && len(user) > 0 {
			m.Community, m.HasComm = user, true
		}
	}
	if flags[0]&0x02 != 0 {
		if _, _, ok := expect(body, tagOctetString); !ok {
			return false
		}
		m.Encrypted = true
		return true
	}
	scoped, _, ok := expect(body, tagSequence)
	if !ok {
		// An encrypted PDU without the privacy flag, or garbage.
		if _, _, ok := expect(body, tagOctetString); ok {
			m.Encrypted = true
			return true
		}
		return false
	}
	if _, scoped, ok = expect(scoped, tagOctetString); !ok { // contextEngineID
		return false
	}
	if _, scoped, ok = expect(scoped, tagOctetString); !ok { // contextName
		return false
	}
	return m.parsePDU(scoped)
}

// usmUser reads msgUserName from USM security parameters (RFC 3414).
func usmUser(b []byte) ([]byte, bool) {
	seq, _, ok := expect(b, tagSequence)
	if !ok {
		return nil, false
	}
	if _, seq, ok = expect(seq, tagOctetString); !ok { // engine id
		return nil, false
	}
	if _, seq, ok = readInt(seq); !ok { // boots
		return nil, false
	}
	if _, seq, ok = readInt(seq); !ok { // time
		return nil, false
	}
	user, _, ok := expect(seq, tagOctetString)
	return user, ok
}

// parsePDU reads a PDU and counts its variable bindings, noting sysDescr
// and sysUpTime in responses.
func (m *Message) parsePDU(b []byte) bool {
	tag, pdu, _, ok := readTLV(b)
	if !ok || tag < pduGet || tag > pduReport {
		return false
	}
	m.PDU = tag
	if tag == pduTrap {
		// enterprise, agent-addr, generic-trap, specific-trap, time-stamp
		if _, pdu, ok = expect(pdu, tagOID); !ok {
			return false
		}
		if _, pdu, ok = expect(pdu, tagIPAddress); !ok {
			return false
		}
		if _, pdu, ok = readInt(pdu); !ok {
			return false
		}
		if _, pdu, ok = readInt(pdu); !ok {
			return false
		}
		if _, pdu, ok = expect(pdu, tagTimeTicks); !ok {
			return false
		}
	} else {
		// request-id, error-status (non-repeaters), error-index
		// (max-repetitions)
		for range 3 {
			if _, pdu, ok = readInt(pdu); !ok {
				return false
			}
		}
	}
	binds, _, ok := expect(pdu, tagSequence)
	if !ok {
		return false
	}
	for len(binds) > 0 {
		var vb []byte
		vb, binds, ok = expect(binds, tagSequence)
		if !ok {
			return false
		}
		oid, rest, ok := expect(vb, tagOID)
		if !ok {
			return false
		}
		vtag, val, _, ok := readTLV(rest)
		if !ok {
			return false
		}
		m.Bindings++
		if tag != pduResponse {
			continue
		}
		switch {
		case vtag == tagOctetString && bytes.Equal(oid, oidSysDescr):
			m.SysDescr, m.HasDescr = val, true
		case bytes.Equal(oid, oidSysUpTime) && (vtag == tagTimeTicks || vtag == tagCounter32 || vtag == tagGauge32 || vtag == tagCounter64):
			if v, ok := uintValue(val); ok {
				m.UpTicks, m.HasUp = v, true
			}
		}
	}
	return true
}

// Analyzer is the SNMP analyzer of one UDP connection. Its state is one
// snmp.log record under construction (community and display string capped
// at maxText bytes), written by End.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	started     bool
	ts, last    int64
	version     int64
	community   []byte
	hasComm     bool
	gets, bulks uint64
	resps, sets uint64
	display     []byte
	hasDisplay  bool
	upSince     int64
	hasUp       bool
	line        []byte
	logged      bool
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer { return &Analyzer{ci: ci, out: out} }

// Service reports "snmp" once a message parsed.
func (a *Analyzer) Service() string {
	if a.started || a.logged {
		return "snmp"
	}
	return ""
}

// Gap is unused (UDP).
func (a *Analyzer) Gap(proto.Direction, int) {}

// Data handles one datagram.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	m, ok := Parse(data)
	if !ok {
		return
	}
	if !a.started {
		a.started = true
		a.ts = ts
		a.version = m.Version
	}
	a.last = ts
	if !a.hasComm && m.HasComm {
		a.community = append(a.community[:0], m.Community[:min(len(m.Community), maxText)]...)
		a.hasComm = true
	}
	n := uint64(m.Bindings)
	switch m.PDU {
	case pduGet, pduGetNext:
		a.gets += n
	case pduGetBulk:
		a.bulks += n
	case pduSet:
		a.sets += n
	case pduResponse:
		a.resps += n
		if m.HasDescr {
			a.display = append(a.display[:0], m.SysDescr[:min(len(m.SysDescr), maxText)]...)
			a.hasDisplay = true
		}
		if m.HasUp {
			// Hundredths of seconds to nanoseconds.
			a.upSince = ts - int64(m.UpTicks%(1<<53))*1e7
			a.hasUp = true
		}
	}
}

// End writes the connection's record (Zeek's finalize_snmp hook).
func (a *Analyzer) End(int64) {
	if !a.started {
		return
	}
	a.line = a.appendJSON(a.line[:0])
	a.out.Record("snmp", a.line)
	a.started, a.logged = false, true
	a.gets, a.bulks, a.resps, a.sets = 0, 0, 0, 0
	a.hasComm, a.hasDisplay, a.hasUp = false, false, false
}

// versionName is Zeek's SNMP::version_map.
func versionName(v int64) string {
	switch v {
	case 0:
		return "1"
	case 1:
		return "2c"
	case 3:
		return "3"
	}
	return "unknown"
}

func (a *Analyzer) appendJSON(dst []byte) []byte {
	ci := a.ci
	dst = proto.AppendConnHeader(dst, a.ts, ci)
	dst = append(dst, `,"duration":`...)
	dst = record.AppendInterval(dst, a.last-a.ts)
	dst = append(dst, `,"version":`...)
	dst = record.AppendString(dst, versionName(a.version))
	if a.hasComm {
		dst = append(dst, `,"community":`...)
		dst = record.AppendString(dst, string(a.community))
	}
	dst = append(dst, `,"get_requests":`...)
	dst = strconv.AppendUint(dst, a.gets, 10)
	dst = append(dst, `,"get_bulk_requests":`...)
	dst = strconv.AppendUint(dst, a.bulks, 10)
	dst = append(dst, `,"get_responses":`...)
	dst = strconv.AppendUint(dst, a.resps, 10)
	dst = append(dst, `,"set_requests":`...)
	dst = strconv.AppendUint(dst, a.sets, 10)
	if a.hasDisplay {
		dst = append(dst, `,"display_string":`...)
		dst = record.AppendString(dst, string(a.display))
	}
	if a.hasUp {
		dst = append(dst, `,"up_since":`...)
		dst = record.AppendTime(dst, a.upSince)
	}
	return append(dst, '}')
}
