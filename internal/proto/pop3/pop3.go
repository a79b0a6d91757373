// Package pop3 analyzes POP3 sessions as Zeek's POP3 analyzer does for
// conn.log (src/analyzer/protocol/pop3): it writes no log of its own (Zeek
// has no pop3.log), recognises the protocol for conn.log's service
// ("pop3") and hands the connection over to TLS after an STLS answered by
// "+OK" ("pop3,ssl", then ssl.log from the TLS analyzer).
//
// Each side is parsed by a streaming line parser over its reassembled
// stream (Data may split the input anywhere). Client lines are commands
// (or, after an AUTH challenge "+ ...", SASL responses); server lines are
// "+OK"/"-ERR" replies paired in order with the pending commands, and the
// bodies of multi-line replies (CAPA, LIST and UIDL without argument, RETR,
// TOP) up to the "." line, skipped without being buffered.
//
// As in Zeek, the service is confirmed by a "+OK" answering USER, CAPA or
// STLS: a "+OK" greeting alone (Redis says "+OK" too) does not confirm.
//
// Bounds, per connection: a line keeps at most MaxLine bytes (the rest is
// dropped) and at most MaxPendingCmds commands wait for a reply.
package pop3

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	MaxLine        = 4 << 10
	MaxPendingCmds = 100
)

// Ports are the well-known POP3 ports (Zeek's POP3 likely_server_ports).
var Ports = []uint16{110}

func init() {
	proto.Register(&proto.Factory{
		Name:       "pop3",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// Detect: a "+OK " greeting with text from the responder, or a CAPA, STLS
// or APOP command from the originator, is Likely (USER and AUTH are left
// out: FTP and SMTP use them too); the POP3 port is Maybe.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if dir == proto.FromResp {
		if len(first) > 4 && string(first[:4]) == "+OK " && first[4] != '\r' && first[4] != '\n' {
			return proto.Likely
		}
	} else if len(first) >= 5 {
		switch upper(first[:4]) {
		case "CAPA", "STLS", "APOP":
			if c := first[4]; c == ' ' || c == '\r' || c == '\n' {
				return proto.Likely
			}
		}
	}
	return proto.OnPort(Ports, respPort)
}

// upper returns b in upper case (ASCII letters only).
func upper(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		out[i] = c
	}
	return string(out)
}
