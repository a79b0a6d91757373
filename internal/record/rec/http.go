package rec

import (
	"bytes"
	"net/netip"
)

// Span is where a raw JSON value lies in its line: line[Off:End]. The
// zero Span stands for a field the line does not have.
type Span struct{ Off, End uint32 }

// HTTP locates the fields of an http.log line that its consumers read on
// every record, as the producer that wrote the line knows them
// (Shared.ResetHTTP), and carries the time and addresses decoded: a Rec
// then answers for these keys without indexing the line (Raw, Addr, TS),
// and so do the readers of HTTP. Each span is the raw value as Raw
// returns it (a string with its quotes).
type HTTP struct {
	TS           float64
	Orig, Resp   netip.Addr // as ParseAddr reads id.orig_h and id.resp_h
	OrigP, RespP uint16     // id.orig_p and id.resp_p
	UID          Span
	Method, Host, URI, UserAgent,
	StatusCode, Username, Password, Server Span
}

// SpanOf is the span line[off:end].
func SpanOf(off, end int) Span { return Span{Off: uint32(off), End: uint32(end)} }

// Raw returns the raw value at s in line (nil for the zero Span).
func (s Span) Raw(line []byte) []byte {
	if s.End == 0 {
		return nil
	}
	return line[s.Off:s.End]
}

// span returns the span of key among h's fields, and whether h
// knows key: a key it knows and the line lacks has the zero Span.
func (h *HTTP) span(key string) (Span, bool) {
	switch key {
	case "uid":
		return h.UID, true
	case "method":
		return h.Method, true
	case "host":
		return h.Host, true
	case "uri":
		return h.URI, true
	case "user_agent":
		return h.UserAgent, true
	case "status_code":
		return h.StatusCode, true
	case "username":
		return h.Username, true
	case "password":
		return h.Password, true
	case "server":
		return h.Server, true
	}
	return Span{}, false
}

// HTTP returns the located fields of an http record handed with them
// (Shared.ResetHTTP), or nil: then read the fields by key.
func (r *Rec) HTTP() *HTTP {
	if !r.hasHTTP {
		return nil
	}
	return &r.http
}

// Request is what the detectors of http.log read of a record, in place
// in its line: its time, parties, uid, URI, Host, user agent and status.
type Request struct {
	TS             float64
	Client, Server netip.Addr
	Port           uint16 // the server's
	UID, URI, Host []byte // unquoted
	UserAgent      []byte
	Status         []byte // the raw status_code value (nil: no reply)
}

// HTTPRequest reads r's request fields where the record came with them
// located (HTTP), else by key.
func (r *Rec) HTTPRequest() Request {
	if h := r.HTTP(); h != nil {
		line := r.Line()
		return Request{TS: h.TS, Client: h.Orig, Server: h.Resp, Port: h.RespP, UID: Unquoted(h.UID.Raw(line)),
			URI: Unquoted(h.URI.Raw(line)), Host: Unquoted(h.Host.Raw(line)),
			UserAgent: Unquoted(h.UserAgent.Raw(line)), Status: h.StatusCode.Raw(line)}
	}
	c := r.Conn()
	status, _ := r.Raw("status_code")
	return Request{TS: c.TS, Client: c.Orig, Server: c.Resp, Port: c.RespP, UID: c.UID,
		URI: r.Bytes("uri"), Host: r.Bytes("host"), UserAgent: r.Bytes("user_agent"), Status: status}
}

// URIPath is a request URI's path: without its query string or fragment,
// and without scheme and host when the URI is absolute (as to a proxy).
func URIPath(uri []byte) []byte {
	if i := bytes.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	if i := bytes.Index(uri, []byte("://")); i >= 0 {
		rest := uri[i+3:]
		if j := bytes.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return []byte("/")
	}
	return uri
}
