// Package socks follows the handshake of a SOCKS4/4a or SOCKS5 (RFC 1928,
// with RFC 1929 username/password authentication) proxy connection and,
// once the proxy grants a CONNECT, hands the connection over so that the
// protocol inside the tunnel is detected again by content, as Zeek
// attaches a new analyzer to a SOCKS tunnel and as Vigil's HTTP analyzer
// does after a CONNECT: TLS through a SOCKS proxy gets its ssl.log record
// and JA4. conn.log's service is "socks" ("socks,ssl" with TLS inside).
//
// No socks.log is written. Each side's message being gathered is bounded
// (maxMsg bytes); a client's bytes sent after its request and before the
// proxy's reply (optimistic data) are not replayed to the protocol inside.
package socks

import (
	"bytes"

	"github.com/vigil-nsm/vigil/internal/proto"
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "socks",
		Transports: []uint8{6},
		Ports:      []uint16{1080},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// maxMsg bounds one SOCKS message: a SOCKS5 request or reply is at most
// 4+1+255+2 bytes, authentication 3+255+255; a SOCKS4a request's user id
// and host name are bounded here.
const maxMsg = 520

// Detect recognizes a client's SOCKS4/4a request or SOCKS5 greeting that
// is exactly what the first bytes hold (Likely), and a proxy's SOCKS4
// reply or SOCKS5 method selection (Maybe).
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if dir == proto.FromOrig {
		if n := msgLen(clientMsg(first), first); n == len(first) {
			return proto.Likely
		}
		return proto.No
	}
	if len(first) >= 2 && (first[0] == 5 && (first[1] <= 2 || first[1] == 0xff) ||
		first[0] == 0 && first[1] >= 0x5a && first[1] <= 0x5d && len(first) >= 8) {
		return proto.Maybe
	}
	return proto.No
}

// Message kinds.
const (
	msgBad      = iota
	msgFirst    // the client's first message: a greeting or a SOCKS4 request
	msgNone     // nothing more to parse from this side
	msgGreeting // SOCKS5 client: version, methods
	msgAuth     // RFC 1929 client: username and password
	msgRequest5 // SOCKS5 client request
	msgRequest4 // SOCKS4/4a client request
	msgSelect   // SOCKS5 proxy: method chosen
	msgAuthOK   // RFC 1929 proxy: status
	msgReply5   // SOCKS5 proxy reply
	msgReply4   // SOCKS4 proxy reply
)

// clientMsg is the kind of the client message starting with b (at the
// start of the stream: a greeting or a SOCKS4 request).
func clientMsg(b []byte) int {
	if len(b) < 2 {
		return msgBad
	}
	switch {
	case b[0] == 5 && b[1] > 0 && len(b) >= 3 && b[2] <= 2:
		return msgGreeting
	case b[0] == 4 && (b[1] == 1 || b[1] == 2):
		return msgRequest4
	}
	return msgBad
}

// msgLen returns the length of the message of kind k at the start of b: 0
// while more bytes are needed, -1 when b cannot be one.
func msgLen(k int, b []byte) int {
	switch k {
	case msgGreeting:
		return need(b, 2, 2+int(at(b, 1)))
	case msgAuth:
		if len(b) < 2 {
			return 0
		}
		u := 2 + int(b[1])
		return need(b, u+1, u+1+int(at(b, u)))
	case msgRequest5, msgReply5:
		return addrLen(b)
	case msgRequest4:
		return socks4Len(b)
	case msgSelect, msgAuthOK:
		return need(b, 2, 2)
	case msgReply4:
		return need(b, 8, 8)
	}
	return -1
}

// need returns n when b holds n bytes, else 0 (more needed); hdr is how
// many bytes n depends on (at(b, i) is 0 beyond b, giving a short n).
func need(b []byte, hdr, n int) int {
	if len(b) < hdr || len(b) < n {
		return 0
	}
	return n
}

func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// addrLen is the length of a SOCKS5 request or reply: version, command or
// status, reserved, address type, address, port.
func addrLen(b []byte) int {
	if len(b) < 5 {
		return 0
	}
	if b[0] != 5 {
		return -1
	}
	switch b[3] {
	case 1:
		return need(b, 4, 10)
	case 3:
		return need(b, 5, 5+int(b[4])+2)
	case 4:
		return need(b, 4, 22)
	}
	return -1
}

// socks4Len is the length of a SOCKS4 request (version, command, port,
// IPv4 address, user id and NUL) or SOCKS4a request (address 0.0.0.x,
// then the host name and NUL).
func socks4Len(b []byte) int {
	if len(b) < 9 {
		return 0
	}
	end := bytes.IndexByte(b[8:], 0)
	if end < 0 {
		return tooLong(b)
	}
	n := 8 + end + 1
	if b[4] != 0 || b[5] != 0 || b[6] != 0 || b[7] == 0 {
		return n
	}
	host := bytes.IndexByte(b[n:], 0)
	if host < 0 {
		return tooLong(b)
	}
	return n + host + 1
}

// tooLong is -1 once b is past maxMsg without its terminator, else 0.
func tooLong(b []byte) int {
	if len(b) >= maxMsg {
		return -1
	}
	return 0
}

// Analyzer follows one connection's SOCKS handshake.
type Analyzer struct {
	proto.Named // conn.log service, once the proxy answered
	buf         [2][]byte
	// next is the kind of message each side sends next (msgBad: none).
	next    [2]int
	cmd     byte // the request's command (1: CONNECT)
	dead    bool // not SOCKS, or the handshake failed: nothing more parsed
	granted bool // the proxy granted the CONNECT
	asked   bool // Upgrade reported the hand-over
	used    int  // bytes of the last Data call before the tunnel
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{next: [2]int{msgFirst, msgBad}}
}

// Finished implements proto.Finisher.
func (a *Analyzer) Finished() bool { return a.dead || a.asked }

// Gap implements proto.Analyzer: lost bytes end the parse.
func (a *Analyzer) Gap(dir proto.Direction, n int) { a.dead = true }

// End implements proto.Analyzer (SOCKS writes no log).
func (a *Analyzer) End(ts int64) {}

// Upgrade implements proto.Upgrader: after a granted CONNECT the bytes
// that follow the proxy's reply are another protocol, detected again by
// content (next "").
func (a *Analyzer) Upgrade() (next string, consumed int, ok bool) {
	if !a.granted || a.asked {
		return "", 0, false
	}
	a.asked = true
	return "", a.used, true
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if a.dead || a.granted || dir > 1 {
		return
	}
	had := len(a.buf[dir])
	room := maxMsg - had
	if room <= 0 {
		a.dead = true
		return
	}
	b := append(a.buf[dir], data[:min(len(data), room)]...)
	off := 0
	for !a.dead && !a.granted {
		k := a.kind(dir, b[off:])
		if k == msgNone {
			off = len(b) // not parsed (nor kept)
			break
		}
		n := msgLen(k, b[off:])
		if n < 0 {
			a.dead = true
			break
		}
		if n == 0 {
			break
		}
		a.message(dir, k, b[off:off+n])
		off += n
	}
	if a.granted {
		a.used = off - had
	}
	a.buf[dir] = append(b[:0], b[off:]...)
}

// kind is the kind of dir's next message, starting with b.
func (a *Analyzer) kind(dir proto.Direction, b []byte) int {
	k := a.next[dir]
	switch {
	case len(b) == 0:
		return msgNone
	case k == msgFirst:
		return clientMsg(b)
	case k == msgRequest5 && b[0] == 1:
		return msgAuth
	case k == msgReply5 && b[0] == 1:
		return msgAuthOK
	}
	return k
}

// message handles one whole message of kind k from dir.
func (a *Analyzer) message(dir proto.Direction, k int, m []byte) {
	switch k {
	case msgGreeting:
		a.next = [2]int{msgRequest5, msgSelect}
	case msgRequest4:
		a.cmd = m[1]
		a.next = [2]int{msgNone, msgReply4}
	case msgAuth:
	case msgRequest5:
		a.cmd = m[1]
		a.next[0] = msgNone
	case msgSelect:
		a.dead = m[0] != 5 || m[1] != 0 && m[1] != 2 // GSSAPI is not followed
		a.next[1] = msgReply5
		a.confirm()
	case msgAuthOK:
		a.dead = m[1] != 0
	case msgReply4:
		a.dead = m[0] != 0
		a.confirm()
		a.granted = !a.dead && m[1] == 0x5a && a.cmd == 1
		a.dead = a.dead || !a.granted
	case msgReply5:
		a.granted = m[1] == 0 && a.cmd == 1
		a.dead = !a.granted
	default:
		a.dead = true
	}
}

func (a *Analyzer) confirm() {
	if !a.dead {
		a.Confirm("socks")
	}
}
