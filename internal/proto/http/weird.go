package http

import "github.com/vigil-nsm/vigil/internal/proto"

// httpWeird is one of the weirds Zeek's HTTP analyzer and scripts report
// that the analyzer reports too (weird.log).
type httpWeird uint8

const (
	weirdBadRequest            httpWeird = iota // a request line that does not parse
	weirdBadRequestWithVersion                  // … that has no method but ends in a version
	weirdEmptyRequest                           // an empty line where a request was expected
	weirdMissingURI                             // "GET HTTP/1.1"
	weirdHTTP09Method                           // an HTTP/0.9 request other than GET (addl: the method)
	weirdUnknownMethod                          // a method not in Zeek's HTTP::http_methods (addl: it)
	weirdVersionMismatch                        // a side's version changed within the connection
	weirdResponseFirst                          // a request after more replies than requests
	weirdPipelining                             // more requests pending than MaxPending
)

var weirdNames = [...]string{
	weirdBadRequest:            "bad_HTTP_request",
	weirdBadRequestWithVersion: "bad_HTTP_request_with_version",
	weirdEmptyRequest:          "empty_http_request",
	weirdMissingURI:            "missing_HTTP_uri",
	weirdHTTP09Method:          "invalid_http_09_request_method",
	weirdUnknownMethod:         "unknown_HTTP_method",
	weirdVersionMismatch:       "HTTP_version_mismatch",
	weirdResponseFirst:         "HTTP_response_before_request",
	weirdPipelining:            "HTTP_excessive_pipelining",
}

// weird logs w for the connection once: Zeek logs a connection's repeats
// of a weird at most once in ten minutes.
func (a *Analyzer) weird(w httpWeird, addl string) {
	if a.weirded&(1<<w) != 0 || a.out == nil {
		return
	}
	a.weirded |= 1 << w
	a.out.Record("weird", proto.AppendWeird(nil, a.now, a.ci, weirdNames[w], addl, "HTTP"))
}

// badRequestLine reports a request line that did not parse, as Zeek's
// HTTP_RequestLine does: one without a method token that ends in
// " HTTP/x.y" is bad_HTTP_request_with_version, any other
// bad_HTTP_request (an empty line too). m is the method token's length.
func (a *Analyzer) badRequestLine(line []byte, m int) {
	if n := len(line); m == 0 && n >= 9 {
		if p, _ := hasPrefixFold(line[n-9:], " HTTP/"); p {
			a.weird(weirdBadRequestWithVersion, "")
			return
		}
	}
	a.weird(weirdBadRequest, "")
}

// setVersion sets a side's version as Zeek's SetVersion does: a version
// other than the side's last one (once it has one) is a mismatch.
func (a *Analyzer) setVersion(v *[2]byte, nv [2]byte) {
	if *v != ([2]byte{}) && *v != nv {
		a.weird(weirdVersionMismatch, "")
	}
	*v = nv
}

// knownMethod reports whether m is in Zeek's HTTP::http_methods, the
// methods its http.log script does not call unknown_HTTP_method.
func knownMethod(m []byte) bool {
	switch string(m) {
	case "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "CONNECT",
		"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
		"POLL", "REPORT", "SUBSCRIBE", "BMOVE", "SEARCH":
		return true
	}
	return false
}
