// Package smtp analyzes SMTP sessions and writes Zeek's smtp.log: one
// record per mail transaction, with Zeek's field names and semantics
// (base/protocols/smtp/main.zeek, base/utils/email.zeek and the SMTP
// analyzer of src/analyzer/protocol/smtp).
//
// Each side is parsed by a streaming line parser over its reassembled
// stream (Data may split the input anywhere). Client lines are commands,
// or, after DATA, message lines up to the "." line; BDAT chunks are taken
// by byte count. Of a message, only the top-level header block is parsed
// (Date, From, To, Cc, Reply-To, Message-ID, In-Reply-To, Subject,
// X-Originating-IP, Received, User-Agent/X-Mailer); the body is skipped
// without being buffered. Server lines are replies ("NNN text",
// multi-line "NNN-"), paired with pending commands. After a successful
// STARTTLS both sides are encrypted and parsing stops (tls is logged).
// fuids (files) are not logged.
//
// Bounds, per connection: a line keeps at most MaxLine bytes (the rest is
// dropped); a header value keeps at most MaxHeader bytes and at most
// MaxHeaders headers of a message are looked at; rcptto, to and cc keep at
// most MaxAddrs addresses and path MaxPath entries (Zeek's limits are
// 1000); at most MaxPendingCmds commands wait for a reply.
package smtp

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	MaxLine        = 8 << 10
	MaxHeader      = 8 << 10
	MaxHeaders     = 200
	MaxAddrs       = 1000
	MaxPath        = 100
	MaxPendingCmds = 100
)

// Ports are the well-known SMTP ports (Zeek's SMTP::ports).
var Ports = []uint16{25, 587}

func init() {
	proto.Register(&proto.Factory{
		Name:       "smtp",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// Detect: a "220" banner from the responder that mentions SMTP (or
// ESMTP), or EHLO/HELO from the originator, is Likely; an SMTP port is
// Maybe.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if dir == proto.FromResp {
		if len(first) >= 4 && string(first[:3]) == "220" && (first[3] == ' ' || first[3] == '-') {
			line := first
			for i, c := range line {
				if c == '\n' {
					line = line[:i]
					break
				}
			}
			if containsFold(line, "smtp") {
				return proto.Likely
			}
		}
	} else if len(first) >= 5 {
		w := string(upper4(first[:4]))
		if (w == "EHLO" || w == "HELO") && (first[4] == ' ' || first[4] == '\r' || first[4] == '\n') {
			return proto.Likely
		}
	}
	return proto.OnPort(Ports, respPort)
}

func upper4(b []byte) []byte {
	var out [4]byte
	for i := range out {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		out[i] = c
	}
	return out[:]
}

func containsFold(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		j := 0
		for j < len(w) {
			c := b[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 32
			}
			if c != w[j] {
				break
			}
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}
