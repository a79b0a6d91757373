// Package http analyzes HTTP/1.0 and HTTP/1.1 over TCP and writes Zeek's
// http.log: one record per request/response pair, with Zeek's field names
// and semantics (base/protocols/http/main.zeek and the HTTP analyzer in
// src/analyzer/protocol/http). HTTP/2 in clear text (h2c: prior knowledge
// or an Upgrade) gives one record per stream; see h2.go.
//
// Each side of a connection is parsed by a streaming state machine over the
// reassembled stream: Data may split the input anywhere. Bounds, per
// connection:
//   - a line (request line, status line, header, chunk size) keeps at most
//     MaxLine bytes; the rest of a longer line is dropped (and counted);
//   - at most MaxHeaders headers per message are looked at;
//   - at most MaxPending transactions wait for a response (Zeek's
//     HTTP::max_pending_requests): beyond that they are logged unanswered;
//   - bodies are never buffered: only the first SniffLen bytes of each
//     body are kept to guess its MIME type.
//
// Like Zeek, bodies with Content-Encoding gzip, x-gzip or deflate are
// decoded before they are counted and sniffed (see inflater: one goroutine
// per compressed body in progress, ended by the message's end or End, so
// End must be called for every connection). Multipart bodies are counted
// whole, where Zeek counts only the parts' contents.
package http

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	MaxLine    = 8 << 10
	MaxHeaders = 100
	MaxPending = 100
	SniffLen   = 512
	// maxQueue bounds the queue of unanswered request methods.
	maxQueue = 1024
	// maxListed bounds proxied entries, file names and MIME types per record.
	maxListed = 16
	// ViolationWindow is Zeek's DPD::ignore_violations_after: a protocol
	// violation within this many bytes of each side ends HTTP analysis of
	// the connection.
	ViolationWindow = 10 * 1024
)

// AuthLog is the fact stream of HTTP logins: one record per request
// whose Authorization (or Proxy-Authorization) header decoded to a user
// and password (Basic), with them, the status code and whether it got in
// (2xx or 3xx); and one per answered POST of a login form (form.go:
// "form" true, the URI, success as formOutcome judges it). Each is
// handed on just before the request's http.log record, for the detectors
// and the inventory. http.log has the Basic user name only, as Zeek's by
// default; the leading '_' keeps these records off disk.
const AuthLog = "_http_auth"

// Ports are the well-known HTTP ports (Zeek's HTTP::ports).
var Ports = []uint16{80, 81, 631, 1080, 3128, 8000, 8080, 8888}

func init() {
	proto.Register(&proto.Factory{
		Name:       "http",
		Transports: []uint8{6},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

var knownMethods = []string{
	"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "CONNECT",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
	"POLL", "REPORT", "SUBSCRIBE", "BMOVE", "SEARCH", "PATCH", "QUERY",
}

// Detect looks at the first bytes of a side: a request line with a known
// method, a space, a URI and " HTTP/1." is Sure; a status line
// "HTTP/1.x NNN" is Likely; an HTTP port with nothing against it is Maybe.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if c := detectH2(dir, first); c != proto.No {
		return c
	}
	if dir == proto.FromOrig {
		for _, m := range knownMethods {
			if len(first) > len(m) && string(first[:len(m)]) == m && first[len(m)] == ' ' {
				rest := first[len(m)+1:]
				end := len(rest)
				for i, c := range rest {
					if c == '\r' || c == '\n' {
						end = i
						break
					}
				}
				line := rest[:end]
				for i := 1; i+8 <= len(line); i++ {
					if line[i-1] != ' ' && string(line[i:i+8]) == " HTTP/1." {
						return proto.Sure
					}
				}
				if end == len(rest) && end < 200 {
					// The line goes on past what we were given.
					return proto.Likely
				}
				return proto.Maybe
			}
		}
	} else if len(first) >= 12 && string(first[:7]) == "HTTP/1." && first[7] >= '0' && first[7] <= '9' &&
		first[8] == ' ' && isDigit(first[9]) && isDigit(first[10]) && isDigit(first[11]) {
		return proto.Likely
	}
	// Bytes that cannot start an HTTP message rule it out.
	if len(first) > 0 {
		if dir == proto.FromOrig && !isTokenChar(first[0]) {
			return proto.No
		}
		if dir == proto.FromResp {
			n := min(len(first), 5)
			if p, _ := hasPrefixFold(first[:n], "HTTP/"[:n]); !p {
				return proto.No
			}
		}
	}
	return proto.OnPort(Ports, respPort)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
