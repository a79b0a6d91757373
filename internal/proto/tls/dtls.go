package tls

import "github.com/vigil-nsm/vigil/internal/proto"

// DTLS 1.0 and 1.2 (RFC 6347) over UDP: each datagram holds whole records
// with a 13-byte header (type, version, epoch, 48-bit sequence number,
// length); each handshake fragment has a 12-byte header (type, length,
// message_seq, fragment offset, fragment length). The records' contents go
// through the same state machine as TLS's, so ssl.log and x509.log are
// written as Zeek writes them for DTLS, and JA4 has the 'd' transport.
//
// Limits: fragments of a handshake message are gathered in order (a
// fragment that does not continue the message being gathered is dropped,
// so a message whose fragments come out of order is lost); a fragment of
// a message whose message_seq was already handled is ignored, but a whole
// message is handled each time it is sent, as Zeek does; a message over maxHandshakeBuf (maxClientHelloBuf for a client's hello)
// is skipped (its ssl_history letter kept). A record of a later epoch is
// ciphertext. DTLS 1.3's unified-header records (RFC 9147) are taken as
// ciphertext and end the datagram's parsing.

func init() {
	proto.Register(&proto.Factory{
		Name:       "dtls",
		Transports: []uint8{17},
		Detect:     DetectDTLS,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return NewDTLS(ci, out) },
	})
}

const (
	dtlsRecordHeader    = 13
	dtlsHandshakeHeader = 12
	hsHelloVerify       = 3
)

// dtlsSide is one side's DTLS handshake reassembly state.
type dtlsSide struct {
	nextSeq  int  // the message_seq expected next
	fragSeq  int  // message_seq of the message in s.hs (fragLen > 0)
	fragType byte // its type
	fragLen  int  // its length; 0: none being gathered
}

// NewDTLS returns an analyzer for one DTLS connection (UDP).
func NewDTLS(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out, dtls: true}
}

// DetectDTLS recognizes a DTLS 1.0/1.2 handshake record of epoch 0
// carrying a ClientHello (Sure) or a ServerHello or HelloVerifyRequest
// (Likely).
func DetectDTLS(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 || len(first) < dtlsRecordHeader+dtlsHandshakeHeader {
		return proto.No
	}
	if first[0] != ctHandshake || !dtlsVersion(u16at(first, 1)) || first[3] != 0 || first[4] != 0 {
		return proto.No
	}
	if n := int(u16at(first, 11)); n < dtlsHandshakeHeader || n > maxRecordLen {
		return proto.No
	}
	switch typ := first[dtlsRecordHeader]; {
	case typ == hsClientHello && dir == proto.FromOrig:
		return proto.Sure
	case (typ == hsServerHello || typ == hsHelloVerify) && dir == proto.FromResp:
		return proto.Likely
	}
	return proto.No
}

func dtlsVersion(v uint16) bool { return v == 0xfeff || v == 0xfefd }

func u16at(b []byte, i int) uint16 { return uint16(b[i])<<8 | uint16(b[i+1]) }

func u24at(b []byte, i int) int { return int(b[i])<<16 | int(b[i+1])<<8 | int(b[i+2]) }

// transport is JA4's transport letter for the connection.
func (a *Analyzer) transport() byte {
	if a.dtls {
		return JA4DTLS
	}
	return JA4TCP
}

// service is conn.log's service name for the connection.
func (a *Analyzer) service() string {
	if a.dtls {
		return "dtls"
	}
	return "ssl"
}

// datagram parses the DTLS records of one UDP payload.
func (a *Analyzer) datagram(dir proto.Direction, b []byte) {
	for len(b) > 0 && !a.done {
		if b[0]&0xe0 == 0x20 {
			// DTLS 1.3 unified header: ciphertext, of a length that
			// may not be written.
			a.content(dir, ctApplicationData, nil)
			return
		}
		if len(b) < dtlsRecordHeader {
			a.stop()
			return
		}
		n := dtlsRecordHeader + int(u16at(b, 11))
		if !dtlsVersion(u16at(b, 1)) || n > len(b) || b[0] < 20 || b[0] > 30 {
			a.stop()
			return
		}
		if a.recordVersion == 0 {
			a.recordVersion = u16at(b, 1)
		}
		if epoch := u16at(b, 3); epoch > 0 {
			// A later epoch is encrypted, whatever was seen of the
			// ChangeCipherSpec.
			a.s[dir].encrypted = true
		}
		a.content(dir, b[0], b[dtlsRecordHeader:n])
		b = b[n:]
	}
}

// dtlsHandshake handles the handshake fragments of one DTLS record.
func (a *Analyzer) dtlsHandshake(dir proto.Direction, b []byte) {
	for len(b) >= dtlsHandshakeHeader && !a.done {
		flen := u24at(b, 9)
		if dtlsHandshakeHeader+flen > len(b) {
			a.stop()
			return
		}
		a.dtlsFragment(dir, b[:dtlsHandshakeHeader], b[dtlsHandshakeHeader:dtlsHandshakeHeader+flen])
		b = b[dtlsHandshakeHeader+flen:]
	}
}

// dtlsFragment handles one handshake fragment (hdr is its header): a
// whole message is handled at once, the fragments of a larger one are
// gathered in order in the side's handshake buffer.
func (a *Analyzer) dtlsFragment(dir proto.Direction, hdr, frag []byte) {
	s := &a.s[dir]
	typ, length, seq, off := hdr[0], u24at(hdr, 1), int(u16at(hdr, 4)), u24at(hdr, 6)
	if off+len(frag) > length {
		return // not a fragment of this message
	}
	if off == 0 && len(frag) == length {
		// A whole message is handled even when retransmitted, as Zeek
		// does (its ssl_history has a letter per copy: "CCC").
		s.nextSeq = max(s.nextSeq, seq+1)
		a.handshake(dir, typ, frag)
		return
	}
	if seq < s.nextSeq {
		return // a retransmitted fragment of a message handled
	}
	if s.fragLen > 0 && (seq != s.fragSeq || off != len(s.hs)) {
		if seq == s.fragSeq {
			return // out of order, or a repeat: not gathered
		}
		s.hs, s.fragLen = s.hs[:0], 0 // a later message: the one gathered is lost
	}
	if s.fragLen == 0 {
		switch {
		case off != 0:
			return // its start was lost (or comes later)
		case length > handshakeLimit(dir, typ):
			s.nextSeq = seq + 1
			a.addHistory(dir == proto.FromOrig, historyLetter(typ, false))
			return
		}
		if cap(s.hs) < length {
			s.hs = make([]byte, 0, length)
		}
		s.fragSeq, s.fragType, s.fragLen = seq, typ, length
	}
	s.hs = append(s.hs, frag...)
	if len(s.hs) == s.fragLen {
		s.nextSeq = seq + 1
		s.fragLen = 0
		a.handshake(dir, s.fragType, s.hs)
		s.hs = s.hs[:0]
	}
}
