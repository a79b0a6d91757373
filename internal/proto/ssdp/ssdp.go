// Package ssdp is the SSDP analyzer (UPnP discovery, HTTP over UDP on port
// 1900): one ssdp.log record per message, for IoT and device discovery.
// Zeek has no SSDP log; the fields are Vigil's own:
//
//	ts, uid, id.*   the message's time and connection
//	method          "M-SEARCH", "NOTIFY" or "response"
//	status_code     a response's status
//	st              search target (M-SEARCH and responses)
//	nt, nts         notification type and subtype (NOTIFY: ssdp:alive, ssdp:byebye …)
//	usn             unique service name
//	location        the device description URL
//	server          the SERVER header (OS, UPnP version, product)
//	user_agent      the USER-AGENT header (control points)
//	mx              an M-SEARCH's maximum wait (seconds)
package ssdp

import (
	"bytes"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Port is SSDP's well-known port.
const Port = 1900

// Bounds of one message.
const (
	maxHeaders = 64  // header lines read
	maxValue   = 512 // bytes kept of a header value
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "ssdp",
		Transports: []uint8{17},
		Ports:      []uint16{Port},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

var (
	prefixSearch   = []byte("M-SEARCH * HTTP/1.")
	prefixNotify   = []byte("NOTIFY * HTTP/1.")
	prefixResponse = []byte("HTTP/1.")
)

// Detect says whether a datagram is SSDP: Sure for an M-SEARCH or NOTIFY
// request line ("* HTTP/1.x"), Likely for an HTTP response over UDP that
// carries an ST or USN header, Maybe for port 1900 alone.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 {
		return proto.No
	}
	switch {
	case bytes.HasPrefix(first, prefixSearch), bytes.HasPrefix(first, prefixNotify):
		return proto.Sure
	case bytes.HasPrefix(first, prefixResponse):
		if m, ok := Parse(first); ok && (m.ST != nil || m.USN != nil) {
			return proto.Likely
		}
	}
	if respPort == Port {
		return proto.Maybe
	}
	return proto.No
}

// Message is one SSDP message; nil slices are absent headers. Slices
// point into the datagram.
type Message struct {
	Method               string // M-SEARCH, NOTIFY or response
	Status               int
	ST, NT, NTS, USN     []byte
	Location, Server, UA []byte
	MX                   []byte
}

// Parse reads an SSDP message: the start line and up to maxHeaders header
// lines (CRLF or LF). ok is false when the start line is not SSDP's.
func Parse(b []byte) (m Message, ok bool) {
	line, rest := nextLine(b)
	switch {
	case bytes.HasPrefix(line, prefixSearch):
		m.Method = "M-SEARCH"
	case bytes.HasPrefix(line, prefixNotify):
		m.Method = "NOTIFY"
	case bytes.HasPrefix(line, prefixResponse):
		f := bytes.Fields(line)
		if len(f) < 2 || len(f[1]) != 3 {
			return m, false
		}
		n, err := strconv.Atoi(string(f[1]))
		if err != nil {
			return m, false
		}
		m.Method, m.Status = "response", n
	default:
		return m, false
	}
	for i := 0; i < maxHeaders && len(rest) > 0; i++ {
		line, rest = nextLine(rest)
		if len(line) == 0 {
			break
		}
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			continue
		}
		name := bytes.TrimSpace(line[:c])
		v := bytes.TrimSpace(line[c+1:])
		if v == nil {
			v = line[c+1 : c+1] // present but empty
		}
		if len(v) > maxValue {
			v = v[:maxValue]
		}
		switch {
		case bytes.EqualFold(name, []byte("ST")):
			m.ST = v
		case bytes.EqualFold(name, []byte("NT")):
			m.NT = v
		case bytes.EqualFold(name, []byte("NTS")):
			m.NTS = v
		case bytes.EqualFold(name, []byte("USN")):
			m.USN = v
		case bytes.EqualFold(name, []byte("LOCATION")), bytes.EqualFold(name, []byte("AL")) && m.Location == nil:
			m.Location = v
		case bytes.EqualFold(name, []byte("SERVER")):
			m.Server = v
		case bytes.EqualFold(name, []byte("USER-AGENT")):
			m.UA = v
		case bytes.EqualFold(name, []byte("MX")):
			m.MX = v
		}
	}
	return m, true
}

func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:]
}

// Analyzer is the SSDP analyzer of one UDP connection; it keeps no state
// but a reused output buffer (each message is logged as it arrives).
type Analyzer struct {
	ci          *proto.ConnInfo
	out         proto.Sink
	proto.Named // conn.log service, once confirmed
	line        []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer { return &Analyzer{ci: ci, out: out} }

// Gap is unused (UDP).
func (a *Analyzer) Gap(proto.Direction, int) {}

// End has nothing to flush.
func (a *Analyzer) End(int64) {}

// Data logs one datagram's message.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	m, ok := Parse(data)
	if !ok {
		return
	}
	a.Confirm("ssdp")
	ci := a.ci
	dst := proto.AppendConnHeader(a.line[:0], ts, ci)
	dst = append(dst, `,"method":`...)
	dst = record.AppendString(dst, m.Method)
	if m.Method == "response" {
		dst = append(dst, `,"status_code":`...)
		dst = strconv.AppendInt(dst, int64(m.Status), 10)
	}
	dst = appendField(dst, "st", m.ST)
	dst = appendField(dst, "nt", m.NT)
	dst = appendField(dst, "nts", m.NTS)
	dst = appendField(dst, "usn", m.USN)
	dst = appendField(dst, "location", m.Location)
	dst = appendField(dst, "server", m.Server)
	dst = appendField(dst, "user_agent", m.UA)
	dst = appendField(dst, "mx", m.MX)
	a.line = append(dst, '}')
	a.out.Record("ssdp", a.line)
}

func appendField(dst []byte, k string, v []byte) []byte {
	if v == nil {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	dst = append(dst, '"', ':')
	return record.AppendBytesString(dst, v)
}
