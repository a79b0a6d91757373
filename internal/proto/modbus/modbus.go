// Package modbus analyzes Modbus/TCP and writes Zeek's modbus.log (see
// Zeek's base/protocols/modbus/main.zeek): one record per PDU with the
// transaction and unit ids, the function's name, REQ (from the
// originator) or RESP, and the exception of an exception response.
// Requests with a function code of 0x80 or more are not logged, as in
// Zeek. A header whose protocol id is not 0 or whose length is under 2
// stops the analyzer (Zeek's &enforce violation).
//
// Beyond Zeek, requests of the read and write functions carry address
// (the first coil/register) and quantity, so writes from unexpected hosts
// can be found, and a Read Device Identification (43/14) answer names the
// device: vendor_name, product_code, revision and the regular objects
// (see ident.go), which the asset inventory reads.
package modbus

import (
	"encoding/binary"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// bodyKeep is how many bytes of a PDU's data (after the function code)
// are kept: enough for the address fields; the rest is skipped, so a
// connection's state is two 8-byte headers and two 8-byte prefixes.
const bodyKeep = 8

func init() {
	proto.Register(&proto.Factory{
		Partial:    true, // Zeek analyses it on connections picked up mid-stream
		Name:       "modbus",
		Transports: []uint8{6},
		Ports:      []uint16{502},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Likely when the first bytes hold an MBAP header (protocol id
// 0, a length of 2..254 matching the bytes when they end there) with a
// known function code, Maybe on port 502 unless the header rules Modbus
// out, No otherwise.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if len(first) >= 8 {
		pid := binary.BigEndian.Uint16(first[2:])
		n := int(binary.BigEndian.Uint16(first[4:]))
		if pid != 0 || n < 2 {
			return proto.No
		}
		fc := first[7] &^ 0x80
		_, known := funcNames[fc]
		if known && n <= 254 && (len(first) == n+6 || len(first) > n+6 && len(first) >= n+6+8 &&
			binary.BigEndian.Uint16(first[n+6+2:]) == 0) {
			return proto.Likely
		}
	} else if len(first) >= 4 && binary.BigEndian.Uint16(first[2:]) != 0 {
		return proto.No
	}
	if respPort == 502 {
		return proto.Maybe
	}
	return proto.No
}

type side struct {
	hdr   [8]byte
	nh    int
	need  int
	body  [bodyKeep]byte
	nbody int
	// whole holds a whole PDU body, for the few functions whose answer
	// is read beyond the address fields (Read Device Identification);
	// nil until one is seen, then kept for the connection.
	whole     []byte
	keepWhole bool
}

// Analyzer is the Modbus/TCP analyzer of one connection; its state is
// fixed-size (see bodyKeep).
type Analyzer struct {
	proto.Framed
	sides [2]side
	line  []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{Framed: proto.Framed{CI: ci, Out: out, Name: "modbus"}}
}

// End implements proto.Analyzer.
func (a *Analyzer) End(ts int64) {}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if int(dir) > 1 {
		return
	}
	s := &a.sides[dir]
	for len(data) > 0 && !a.Dead {
		if s.nh < 8 {
			c := copy(s.hdr[s.nh:], data)
			s.nh += c
			data = data[c:]
			if s.nh < 8 {
				return
			}
			pid := binary.BigEndian.Uint16(s.hdr[2:])
			n := int(binary.BigEndian.Uint16(s.hdr[4:]))
			if pid != 0 || n < 2 {
				a.Dead = true
				return
			}
			s.need = n - 2
			s.nbody = 0
			s.keepWhole = s.hdr[7] == 0x2B && dir == proto.FromResp
			if s.keepWhole {
				s.whole = s.whole[:0]
			}
		}
		take := min(s.need, len(data))
		if k := min(take, bodyKeep-s.nbody); k > 0 {
			copy(s.body[s.nbody:], data[:k])
			s.nbody += k
		}
		if s.keepWhole {
			s.keep(data[:take])
		}
		s.need -= take
		data = data[take:]
		if s.need == 0 {
			a.pdu(dir, ts, s)
			s.nh = 0
		}
	}
}

// maxPDU is the largest Modbus PDU body (253 bytes less the function
// code); an MBAP length claims at most 65,535 bytes, of which no more is
// kept.
const maxPDU = 252

// keep appends b to the side's whole body, up to maxPDU bytes.
func (s *side) keep(b []byte) {
	if s.whole == nil {
		s.whole = make([]byte, 0, maxPDU)
	}
	s.whole = append(s.whole, b[:min(len(b), maxPDU-len(s.whole))]...)
}

func (a *Analyzer) pdu(dir proto.Direction, ts int64, s *side) {
	a.Confirmed = true
	fc := s.hdr[7]
	req := dir == proto.FromOrig
	if fc >= 0x80 && (req || s.nbody < 1) {
		return
	}
	b := proto.AppendConnHeader(a.line[:0], ts, a.CI)
	b = record.AppendUintField(b, "tid", uint64(binary.BigEndian.Uint16(s.hdr[0:])))
	b = record.AppendUintField(b, "unit", uint64(s.hdr[6]))
	b = record.AppendStringField(b, "func", funcName(fc))
	if req {
		b = record.AppendStringField(b, "pdu_type", "REQ")
	} else {
		b = record.AppendStringField(b, "pdu_type", "RESP")
	}
	if fc >= 0x80 {
		b = record.AppendStringField(b, "exception", exceptionName(s.body[0]))
	}
	if fc == 0x2B {
		b = appendMEI(b, req, s)
	}
	if req {
		d := s.body[:s.nbody]
		u16 := func(i int) uint64 { return uint64(binary.BigEndian.Uint16(d[i:])) }
		switch fc {
		case 1, 2, 3, 4, 15, 16:
			if len(d) >= 4 {
				b = record.AppendUintField(b, "address", u16(0))
				b = record.AppendUintField(b, "quantity", u16(2))
			}
		case 5, 6, 22:
			if len(d) >= 2 {
				b = record.AppendUintField(b, "address", u16(0))
				b = record.AppendUintField(b, "quantity", 1)
			}
		case 23: // read/write multiple registers: the write part
			if len(d) >= 8 {
				b = record.AppendUintField(b, "address", u16(4))
				b = record.AppendUintField(b, "quantity", u16(6))
			}
		case 8: // diagnostics: some sub-functions take the device off the bus or restart it
			if len(d) >= 2 {
				b = record.AppendStringField(b, "sub_function", diagnosticName(uint16(u16(0))))
			}
		}
	}
	b = append(b, '}')
	a.line = b
	if a.Out != nil {
		a.Out.Record("modbus", b)
	}
}

var funcNames = map[uint8]string{
	0x01: "READ_COILS", 0x02: "READ_DISCRETE_INPUTS", 0x03: "READ_HOLDING_REGISTERS",
	0x04: "READ_INPUT_REGISTERS", 0x05: "WRITE_SINGLE_COIL", 0x06: "WRITE_SINGLE_REGISTER",
	0x07: "READ_EXCEPTION_STATUS", 0x08: "DIAGNOSTICS", 0x0B: "GET_COMM_EVENT_COUNTER",
	0x0C: "GET_COMM_EVENT_LOG", 0x0F: "WRITE_MULTIPLE_COILS", 0x10: "WRITE_MULTIPLE_REGISTERS",
	0x11: "REPORT_SLAVE_ID", 0x14: "READ_FILE_RECORD", 0x15: "WRITE_FILE_RECORD",
	0x16: "MASK_WRITE_REGISTER", 0x17: "READ_WRITE_MULTIPLE_REGISTERS", 0x18: "READ_FIFO_QUEUE",
	0x2B: "ENCAP_INTERFACE_TRANSPORT", 0x5B: "OBJECT_MESSAGING",
	0x09: "PROGRAM_484", 0x0A: "POLL_484", 0x0D: "PROGRAM_584_984", 0x0E: "POLL_584_984",
	0x12: "PROGRAM_884_U84", 0x13: "RESET_COMM_LINK_884_U84", 0x28: "PROGRAM_CONCEPT",
	0x29: "MULTIPLE_FUNCTION_CODES", 0x5A: "PROGRAM_UNITY", 0x7D: "FIRMWARE_REPLACEMENT",
	0x7E: "PROGRAM_584_984_2", 0x7F: "REPORT_LOCAL_ADDRESS",
}

// funcName is Zeek's build_func: the name, with _EXCEPTION for an
// exception code whose base function is known, unknown-N otherwise.
func funcName(fc uint8) string {
	if s, ok := funcNames[fc]; ok {
		return s
	}
	if s, ok := funcNames[fc&^0x80]; ok {
		return s + "_EXCEPTION"
	}
	return "unknown-" + itoa(int(fc))
}

var exceptionNames = map[uint8]string{
	0x01: "ILLEGAL_FUNCTION", 0x02: "ILLEGAL_DATA_ADDRESS", 0x03: "ILLEGAL_DATA_VALUE",
	0x04: "SLAVE_DEVICE_FAILURE", 0x05: "ACKNOWLEDGE", 0x06: "SLAVE_DEVICE_BUSY",
	0x08: "MEMORY_PARITY_ERROR", 0x0A: "GATEWAY_PATH_UNAVAILABLE",
	0x0B: "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND",
}

func exceptionName(c uint8) string {
	if s, ok := exceptionNames[c]; ok {
		return s
	}
	return "unknown-" + itoa(int(c))
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// diagnosticNames names the DIAGNOSTICS (function 8) sub-functions
// (Modbus Application Protocol v1.1b3, 6.8).
var diagnosticNames = map[uint16]string{
	0: "RETURN_QUERY_DATA", 1: "RESTART_COMMUNICATIONS_OPTION", 2: "RETURN_DIAGNOSTIC_REGISTER",
	3: "CHANGE_ASCII_INPUT_DELIMITER", 4: "FORCE_LISTEN_ONLY_MODE", 10: "CLEAR_COUNTERS_AND_DIAGNOSTIC_REGISTER",
	11: "RETURN_BUS_MESSAGE_COUNT", 12: "RETURN_BUS_COMMUNICATION_ERROR_COUNT", 13: "RETURN_BUS_EXCEPTION_ERROR_COUNT",
	14: "RETURN_SLAVE_MESSAGE_COUNT", 15: "RETURN_SLAVE_NO_RESPONSE_COUNT", 16: "RETURN_SLAVE_NAK_COUNT",
	17: "RETURN_SLAVE_BUSY_COUNT", 18: "RETURN_BUS_CHARACTER_OVERRUN_COUNT", 20: "CLEAR_OVERRUN_COUNTER_AND_FLAG",
}

// diagnosticName is a DIAGNOSTICS sub-function's name, its number for
// others.
func diagnosticName(sub uint16) string {
	if n, ok := diagnosticNames[sub]; ok {
		return n
	}
	return strconv.Itoa(int(sub))
}
