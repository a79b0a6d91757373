// Package coap analyzes CoAP (RFC 7252) over UDP and writes coap.log: one
// record per request (or ping) with its response. A request (a CON or NON
// message with a method code, or an empty CON ping) waits for its answer:
// a piggybacked response or reset in an ACK/RST with the same message id,
// or — after an empty ACK — a separate response carrying the same token.
// Responses and resets that match no request get a record of their own;
// empty ACKs that match nothing (acknowledging a separate response) are
// not logged. Requests still unanswered are written when the connection
// ends.
//
// Fields: ts (of the request), uid, id.*, type (CON/NON/ACK/RST), code
// ("GET", "2.05 Content" …), message_id, token (hex), uri_host, uri_path
// (the Uri-Path options joined with "/", with a leading "/"), uri_query
// (the Uri-Query options joined with "&"), content_format (of the
// response when it has one, else of the request; a name when registered,
// else the number), response_type, response_code and rtt.
//
// State is bounded: at most MaxPending unanswered requests, each with at
// most MaxURI bytes of path and query.
package coap

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Bounds.
const (
	MaxPending = 64
	MaxURI     = 1024
	maxOptions = 64
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "coap",
		Transports: []uint8{17},
		Ports:      []uint16{5683},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Likely for a well-formed CoAP message on port 5683 (or 5684
// is not ours: DTLS), Maybe for a well-formed request naming a Uri-Path or
// Uri-Host on another port, No otherwise.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 {
		return proto.No
	}
	m, ok := Parse(first)
	if !ok {
		return proto.No
	}
	if respPort == 5683 {
		return proto.Likely
	}
	if m.Code>>5 == 0 && m.Code != 0 && m.Code&0x1f <= 7 && (m.nPath > 0 || m.Host != "") {
		return proto.Maybe
	}
	return proto.No
}

// Message is one parsed CoAP message.
type Message struct {
	Type      uint8 // 0 CON, 1 NON, 2 ACK, 3 RST
	Code      uint8 // class<<5 | detail
	ID        uint16
	Token     []byte
	Host      string
	Path      string
	Query     string
	Format    int // -1 when absent
	nPath     int
	PayloadLn int
}

// Parse parses one datagram; ok is false when it is not well-formed
// CoAP version 1.
func Parse(b []byte) (m Message, ok bool) {
	m.Format = -1
	if len(b) < 4 || b[0]>>6 != 1 {
		return m, false
	}
	m.Type = b[0] >> 4 & 3
	tkl := int(b[0] & 0x0f)
	m.Code = b[1]
	m.ID = binary.BigEndian.Uint16(b[2:])
	switch m.Code >> 5 {
	case 0, 2, 4, 5, 7:
	default:
		return m, false
	}
	if tkl > 8 || len(b) < 4+tkl {
		return m, false
	}
	if m.Code == 0 && (tkl != 0 || len(b) != 4) {
		return m, false // an empty message is the header alone
	}
	m.Token = b[4 : 4+tkl]
	b = b[4+tkl:]
	num := 0
	var path, query []byte
	for n := 0; len(b) > 0; n++ {
		if b[0] == 0xff {
			if len(b) == 1 {
				return m, false // a marker with no payload
			}
			m.PayloadLn = len(b) - 1
			break
		}
		if n >= maxOptions {
			return m, false
		}
		delta, length := int(b[0]>>4), int(b[0]&0x0f)
		b = b[1:]
		var okd, okl bool
		if delta, b, okd = ext(delta, b); !okd {
			return m, false
		}
		if length, b, okl = ext(length, b); !okl {
			return m, false
		}
		if length > len(b) {
			return m, false
		}
		num += delta
		v := b[:length]
		b = b[length:]
		switch num {
		case 3:
			m.Host = string(v)
		case 11:
			m.nPath++
			if len(path)+len(v)+1 <= MaxURI {
				path = append(append(path, '/'), v...)
			}
		case 12:
			if length <= 2 {
				f := 0
				for _, c := range v {
					f = f<<8 | int(c)
				}
				m.Format = f
			}
		case 15:
			if len(query)+len(v)+1 <= MaxURI {
				if len(query) > 0 {
					query = append(query, '&')
				}
				query = append(query, v...)
			}
		}
	}
	m.Path, m.Query = string(path), string(query)
	return m, true
}

// ext applies an option nibble's extended form.
func ext(v int, b []byte) (int, []byte, bool) {
	switch v {
	case 13:
		if len(b) < 1 {
			return 0, b, false
		}
		return int(b[0]) + 13, b[1:], true
	case 14:
		if len(b) < 2 {
			return 0, b, false
		}
		return int(binary.BigEndian.Uint16(b)) + 269, b[2:], true
	case 15:
		return 0, b, false
	}
	return v, b, true
}

type txn struct {
	ts      int64
	dir     proto.Direction
	req     Message
	token   string
	acked   bool
	hasResp bool
	resp    Message
	respTS  int64
}

// Analyzer is the CoAP analyzer of one UDP connection.
type Analyzer struct {
	ci          *proto.ConnInfo
	out         proto.Sink
	pending     []*txn
	proto.Named // conn.log service, once confirmed
	line        []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer { return &Analyzer{ci: ci, out: out} }

// Gap implements proto.Analyzer (UDP has none).
func (a *Analyzer) Gap(dir proto.Direction, n int) {}

// End implements proto.Analyzer: unanswered requests are written.
func (a *Analyzer) End(ts int64) {
	for _, t := range a.pending {
		a.write(t)
	}
	a.pending = nil
}

// Data implements proto.Analyzer: one datagram.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	m, ok := Parse(data)
	if !ok {
		return
	}
	a.Confirm("coap")
	class := m.Code >> 5
	switch {
	case (m.Type == 0 || m.Type == 1) && class == 0 && (m.Code != 0 || m.Type == 0):
		// A request, or a CON ping.
		t := &txn{ts: ts, dir: dir, req: copyMsg(m), token: string(m.Token)}
		if len(a.pending) >= MaxPending {
			a.write(a.pending[0])
			a.pending = a.pending[1:]
		}
		a.pending = append(a.pending, t)
	case m.Type == 2 || m.Type == 3:
		for i, t := range a.pending {
			if t.dir == dir || t.req.ID != m.ID || t.acked {
				continue
			}
			if m.Type == 2 && m.Code == 0 && t.req.Code != 0 {
				t.acked = true // a separate response follows
				return
			}
			a.pending = append(a.pending[:i], a.pending[i+1:]...)
			t.hasResp, t.resp, t.respTS = true, copyMsg(m), ts
			a.write(t)
			return
		}
		if m.Code != 0 || m.Type == 3 {
			a.write(&txn{ts: ts, dir: dir, req: copyMsg(m), token: string(m.Token)})
		}
	default:
		// A separate response (CON/NON with a response code).
		if class != 0 {
			for i, t := range a.pending {
				if t.dir != dir && t.token == string(m.Token) && t.req.Code != 0 {
					a.pending = append(a.pending[:i], a.pending[i+1:]...)
					t.hasResp, t.resp, t.respTS = true, copyMsg(m), ts
					a.write(t)
					return
				}
			}
		}
		a.write(&txn{ts: ts, dir: dir, req: copyMsg(m), token: string(m.Token)})
	}
}

func copyMsg(m Message) Message {
	m.Token = append([]byte(nil), m.Token...)
	return m
}

var typeNames = [4]string{"CON", "NON", "ACK", "RST"}

var methods = [...]string{"0.00 Empty", "GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"}

var codeNames = map[uint8]string{
	2<<5 | 1: "Created", 2<<5 | 2: "Deleted", 2<<5 | 3: "Valid", 2<<5 | 4: "Changed",
	2<<5 | 5: "Content", 2<<5 | 31: "Continue",
	4<<5 | 0: "Bad Request", 4<<5 | 1: "Unauthorized", 4<<5 | 2: "Bad Option",
	4<<5 | 3: "Forbidden", 4<<5 | 4: "Not Found", 4<<5 | 5: "Method Not Allowed",
	4<<5 | 6: "Not Acceptable", 4<<5 | 8: "Request Entity Incomplete", 4<<5 | 9: "Conflict",
	4<<5 | 12: "Precondition Failed", 4<<5 | 13: "Request Entity Too Large",
	4<<5 | 15: "Unsupported Content-Format", 4<<5 | 22: "Unprocessable Entity",
	4<<5 | 29: "Too Many Requests",
	5<<5 | 0:  "Internal Server Error", 5<<5 | 1: "Not Implemented", 5<<5 | 2: "Bad Gateway",
	5<<5 | 3: "Service Unavailable", 5<<5 | 4: "Gateway Timeout", 5<<5 | 5: "Proxying Not Supported",
	7<<5 | 1: "CSM", 7<<5 | 2: "Ping", 7<<5 | 3: "Pong", 7<<5 | 4: "Release", 7<<5 | 5: "Abort",
}

// CodeName names a code: the method for requests, "c.dd Name" otherwise.
func CodeName(c uint8) string {
	if c>>5 == 0 && int(c) < len(methods) {
		return methods[c]
	}
	s := []byte{'0' + c>>5, '.', '0' + (c&0x1f)/10, '0' + (c&0x1f)%10}
	if n, ok := codeNames[c]; ok {
		return string(s) + " " + n
	}
	return string(s)
}

var formats = map[int]string{
	0: "text/plain;charset=utf-8", 16: "application/cose;cose-type=\"cose-encrypt0\"",
	40: "application/link-format", 41: "application/xml", 42: "application/octet-stream",
	47: "application/exi", 50: "application/json", 51: "application/json-patch+json",
	52: "application/merge-patch+json", 60: "application/cbor", 61: "application/cwt",
	110: "application/senml+json", 112: "application/senml+cbor",
	11542: "application/vnd.oma.lwm2m+tlv", 11543: "application/vnd.oma.lwm2m+json",
}

func formatName(f int) string {
	if s, ok := formats[f]; ok {
		return s
	}
	return strconv.Itoa(f)
}

func (a *Analyzer) write(t *txn) {
	q := &t.req
	b := proto.AppendConnHeader(a.line[:0], t.ts, a.ci)
	b = record.AppendStringField(b, "type", typeNames[q.Type])
	b = record.AppendStringField(b, "code", CodeName(q.Code))
	b = record.AppendUintField(b, "message_id", uint64(q.ID))
	b = record.AppendKey(b, "token")
	b = append(b, '"')
	b = hex.AppendEncode(b, q.Token)
	b = append(b, '"')
	if q.Host != "" {
		b = record.AppendStringField(b, "uri_host", q.Host)
	}
	if q.nPath > 0 {
		b = record.AppendString(record.AppendKey(b, "uri_path"), q.Path)
	}
	if q.Query != "" {
		b = record.AppendStringField(b, "uri_query", q.Query)
	}
	switch {
	case t.hasResp && t.resp.Format >= 0:
		b = record.AppendStringField(b, "content_format", formatName(t.resp.Format))
	case q.Format >= 0:
		b = record.AppendStringField(b, "content_format", formatName(q.Format))
	}
	if t.hasResp {
		b = record.AppendStringField(b, "response_type", typeNames[t.resp.Type])
		if t.resp.Code != 0 {
			b = record.AppendStringField(b, "response_code", CodeName(t.resp.Code))
		}
		b = record.AppendKey(b, "rtt")
		b = record.AppendInterval(b, t.respTS-t.ts)
	}
	b = append(b, '}')
	a.line = b
	if a.out != nil {
		a.out.Record("coap", b)
	}
}
