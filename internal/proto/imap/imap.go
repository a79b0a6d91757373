// Package imap analyzes IMAP sessions as Zeek's IMAP analyzer does for
// conn.log (src/analyzer/protocol/imap): it writes no log of its own (Zeek
// has no imap.log), recognises the protocol for conn.log's service
// ("imap") and hands the connection over to TLS after a STARTTLS answered
// by "<tag> OK" ("imap,ssl", then ssl.log from the TLS analyzer).
//
// Each side is parsed by a streaming line parser over its reassembled
// stream (Data may split the input anywhere). Lines are "tag command ..."
// on the client side and "tag|*|+ status ..." on the server side; a line
// ending in a literal ("{N}" or "{N+}") is followed by N raw bytes, skipped
// without being buffered, and the line after them continues the same
// command or response (its start is not a tag).
//
// As in Zeek, the service is confirmed by an untagged "* OK" from the
// server or a CAPABILITY or STARTTLS command from the client.
//
// Bounds, per connection: a line keeps at most MaxLine bytes (the rest is
// dropped; a literal is only seen at the end of a kept line) and a literal
// counts at most MaxLiteral bytes.
package imap

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	MaxLine    = 8 << 10
	MaxLiteral = 1 << 40
	MaxTag     = 64
)

// Ports are the well-known IMAP ports (Zeek's IMAP likely_server_ports).
var Ports = []uint16{143}

func init() {
	proto.Register(&proto.Factory{
		Name:       "imap",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// detectCmds are the client commands that open IMAP sessions.
var detectCmds = map[string]bool{
	"CAPABILITY": true, "STARTTLS": true, "LOGIN": true, "AUTHENTICATE": true, "ID": true, "NOOP": true,
}

// Detect: a "* OK " or "* PREAUTH " greeting from the responder, or a
// tagged CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE, ID or NOOP command from
// the originator, is Likely; the IMAP port is Maybe.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	line := first
	for i, c := range line {
		if c == '\r' || c == '\n' {
			line = line[:i]
			break
		}
	}
	tag, cmd, _ := split(line)
	if dir == proto.FromResp {
		if string(tag) == "*" && (cmd == "OK" || cmd == "PREAUTH") && len(line) > len(tag)+len(cmd)+1 {
			return proto.Likely
		}
	} else if len(line) < len(first) && validTag(tag) && detectCmds[cmd] {
		return proto.Likely
	}
	return proto.OnPort(Ports, respPort)
}

// split cuts a line into its tag and its (upper-cased) command or status,
// and says whether anything follows them.
func split(line []byte) (tag []byte, cmd string, rest bool) {
	i := 0
	for i < len(line) && line[i] != ' ' {
		i++
	}
	tag = line[:i]
	if i == len(line) {
		return tag, "", false
	}
	line = line[i+1:]
	j := 0
	for j < len(line) && line[j] != ' ' && j < 32 {
		j++
	}
	return tag, upper(line[:j]), j < len(line)
}

// validTag reports whether t is an IMAP tag: 1 to MaxTag ATOM-CHARs other
// than "+" (RFC 3501's tag), not "*".
func validTag(t []byte) bool {
	if len(t) == 0 || len(t) > MaxTag {
		return false
	}
	for _, c := range t {
		if c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' || c == '\\' || c == ']' || c == '+' {
			return false
		}
	}
	return true
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
