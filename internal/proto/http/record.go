package http

import (
	"strconv"
	"time"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// write encodes t as one http.log JSON object (Zeek's field names and
// order; unset optional fields omitted) and hands it to the sink, after
// its login fact when the request gave Basic credentials.
func (a *Analyzer) write(t *txn) {
	if a.out == nil {
		return
	}
	if t.hasSecret {
		a.authFact(t)
	}
	if t.hasForm {
		a.formFact(t)
	}
	b := a.buf[:0]
	b = proto.AppendConnHeader(b, t.ts, a.ci)
	h := &a.fields
	*h = rec.HTTP{}
	typed := proto.ConnHeaderFields(b, a.ci, h)
	b = append(b, `,"trans_depth":`...)
	b = strconv.AppendInt(b, int64(t.depth), 10)
	b = appendRequest(b, t, h)
	b = append(b, `,"request_body_len":`...)
	b = strconv.AppendUint(b, t.reqLen, 10)
	b = append(b, `,"response_body_len":`...)
	b = strconv.AppendUint(b, t.respLen, 10)
	if t.hasStatus {
		b = append(b, `,"status_code":`...)
		from := len(b)
		b = strconv.AppendInt(b, int64(t.status), 10)
		h.StatusCode = rec.SpanOf(from, len(b))
		b = record.AppendBytesString(append(b, `,"status_msg":`...), t.statusMsg)
	}
	if t.hasInfo {
		b = append(b, `,"info_code":`...)
		b = strconv.AppendInt(b, int64(t.infoCode), 10)
		b = record.AppendBytesString(append(b, `,"info_msg":`...), t.infoMsg)
	}
	b = append(b, `,"tags":[]`...)
	if t.hasUser {
		b = append(b, `,"username":`...)
		from := len(b)
		b = record.AppendBytesString(b, t.username)
		h.Username = rec.SpanOf(from, len(b))
	}
	if t.hasPass {
		b = append(b, `,"password":`...)
		from := len(b)
		b = record.AppendBytesString(b, t.password)
		h.Password = rec.SpanOf(from, len(b))
	}
	if len(t.proxied)+len(t.origFiles)+len(t.origMime)+len(t.respFiles)+len(t.respMime) > 0 {
		b = list(b, `,"proxied":`, t.proxied)
		b = list(b, `,"orig_filenames":`, t.origFiles)
		b = list(b, `,"orig_mime_types":`, t.origMime)
		b = list(b, `,"resp_filenames":`, t.respFiles)
		b = list(b, `,"resp_mime_types":`, t.respMime)
	}
	// Vigil's addition after Zeek's fields: the server's software, for
	// the asset inventory (Zeek puts it in software.log).
	if t.hasServer {
		b = append(b, `,"server":`...)
		from := len(b)
		b = record.AppendBytesString(b, t.server)
		h.Server = rec.SpanOf(from, len(b))
	}
	b = append(b, '}')
	a.buf = b
	if hs, ok := a.out.(proto.HTTPSink); ok && typed && len(b) < 1<<31 {
		hs.RecordHTTP(b, h)
		return
	}
	a.out.Record("http", b)
}

// authFact hands on t's login (AuthLog): the connection, the user and
// password of its Basic credentials, the status code when answered, and
// success (a 2xx or 3xx answer).
func (a *Analyzer) authFact(t *txn) {
	b := proto.AppendConnHeader(a.buf[:0], t.ts, a.ci)
	b = record.AppendBytesString(append(b, `,"user":`...), t.username)
	b = record.AppendBytesString(append(b, `,"password":`...), t.secret)
	if t.hasStatus {
		b = append(b, `,"status_code":`...)
		b = strconv.AppendInt(b, int64(t.status), 10)
	}
	b = append(b, `,"success":`...)
	b = strconv.AppendBool(b, t.hasStatus && t.status >= 200 && t.status < 400)
	b = append(b, '}')
	a.buf = b
	a.out.Record(AuthLog, b)
}

// formFact hands on t's form login (AuthLog, with "form" true): the
// connection, the URI, the user and password the form posted, the status
// code and success as formOutcome judges it; none when it cannot.
func (a *Analyzer) formFact(t *txn) {
	success, judged := formOutcome(t)
	if !judged {
		return
	}
	b := proto.AppendConnHeader(a.buf[:0], t.ts, a.ci)
	b = record.AppendBytesString(append(b, `,"user":`...), t.formUser)
	b = record.AppendBytesString(append(b, `,"password":`...), t.formPassword)
	b = append(b, `,"status_code":`...)
	b = strconv.AppendInt(b, int64(t.status), 10)
	b = append(b, `,"success":`...)
	b = strconv.AppendBool(b, success)
	b = append(b, `,"form":true`...)
	if t.hasURI {
		b = record.AppendBytesString(append(b, `,"uri":`...), t.uri)
	}
	b = append(b, '}')
	a.buf = b
	a.out.Record(AuthLog, b)
}

// appendRequest appends t's fields from the request line and headers
// (method to origin), those set. Each key is appended where it is
// written, not by a helper: constant, it is copied without a call.
func appendRequest(b []byte, t *txn, h *rec.HTTP) []byte {
	if t.hasMethod {
		b = append(b, `,"method":`...)
		from := len(b)
		b = record.AppendBytesString(b, t.method)
		h.Method = rec.SpanOf(from, len(b))
	}
	if t.hasHost {
		b = append(b, `,"host":`...)
		from := len(b)
		b = record.AppendBytesString(b, t.host)
		h.Host = rec.SpanOf(from, len(b))
	}
	if t.hasURI {
		b = append(b, `,"uri":`...)
		from := len(b)
		b = record.AppendBytesString(b, t.uri)
		h.URI = rec.SpanOf(from, len(b))
	}
	if t.hasReferrer {
		b = record.AppendBytesString(append(b, `,"referrer":`...), t.referrer)
	}
	if t.hasVersion {
		// Digits and a dot (see reply and h2): nothing to escape.
		b = append(append(append(b, `,"version":"`...), t.version...), '"')
	}
	if t.hasUA {
		b = append(b, `,"user_agent":`...)
		from := len(b)
		b = record.AppendBytesString(b, t.userAgent)
		h.UserAgent = rec.SpanOf(from, len(b))
	}
	if t.hasOrigin {
		b = record.AppendBytesString(append(b, `,"origin":`...), t.origin)
	}
	return b
}

// list appends the field of strings whose key (with its comma and colon)
// is key, when v is not empty.
func list(b []byte, key string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	return appendList(b, key, v)
}

// appendList appends the field of strings whose key (with its comma and
// colon) is key.
func appendList(b []byte, key string, v []string) []byte {
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = record.AppendString(b, s)
	}
	return append(b, ']')
}

// tunnelRelogAfter is Zeek's Tunnel::expiration_interval: a tunnel is
// logged again once it has been idle that long.
const tunnelRelogAfter = int64(time.Hour)

// connectTunnel writes tunnel.log's DISCOVER line for a CONNECT answered
// by 200, as Zeek's http_reply handler registers the tunnel: the client,
// with port 0 (a proxy's many client connections are one tunnel), the
// proxy and its port, no uid; once per such tuple and
// tunnelRelogAfter.
func (a *Analyzer) connectTunnel() {
	ci := a.ci
	if a.out == nil || ci == nil || !ci.OrigH.IsValid() {
		return
	}
	t := record.Tunnel{TS: a.now, OrigH: ci.OrigH, RespH: ci.RespH, RespP: ci.RespP,
		Type: "Tunnel::HTTP", Action: record.TunnelDiscover}
	line := record.AppendTunnelJSON(nil, &t)
	key := "tunnel|http|" + ci.OrigH.String() + "|" + ci.RespH.String() + "|" + strconv.Itoa(int(ci.RespP))
	if once, ok := a.out.(proto.OnceSink); ok {
		once.RecordOnce("tunnel", key, a.now, tunnelRelogAfter, line)
		return
	}
	if ci.Shared.Recent(key, a.now, tunnelRelogAfter) {
		return
	}
	a.out.Record("tunnel", line)
}
