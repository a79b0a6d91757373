package rec

import "net/netip"

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
