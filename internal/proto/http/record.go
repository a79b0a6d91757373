package http

import (
	"strconv"

	"github.com/vigil-nsm/vigil/internal/record"
)

// write encodes t as one http.log JSON object (Zeek's field names and
// order; unset optional fields omitted) and hands it to the sink.
func (a *Analyzer) write(t *txn) {
	if a.out == nil {
		return
	}
	b := a.buf[:0]
	b = append(b, `{"ts":`...)
	b = record.AppendTime(b, t.ts)
	ci := a.ci
	if ci != nil {
		b = str(b, "uid", ci.UID)
		b = append(b, `,"id.orig_h":"`...)
		if ci.OrigH.IsValid() {
			b = ci.OrigH.Unmap().AppendTo(b)
		}
		b = append(b, `","id.orig_p":`...)
		b = strconv.AppendUint(b, uint64(ci.OrigP), 10)
		b = append(b, `,"id.resp_h":"`...)
		if ci.RespH.IsValid() {
			b = ci.RespH.Unmap().AppendTo(b)
		}
		b = append(b, `","id.resp_p":`...)
		b = strconv.AppendUint(b, uint64(ci.RespP), 10)
	}
	b = append(b, `,"trans_depth":`...)
	b = strconv.AppendInt(b, int64(t.depth), 10)
	b = bstr(b, "method", t.method, t.hasMethod)
	b = bstr(b, "host", t.host, t.hasHost)
	b = bstr(b, "uri", t.uri, t.hasURI)
	b = bstr(b, "referrer", t.referrer, t.hasReferrer)
	b = bstr(b, "version", t.version, t.hasVersion)
	b = bstr(b, "user_agent", t.userAgent, t.hasUA)
	b = bstr(b, "origin", t.origin, t.hasOrigin)
	b = append(b, `,"request_body_len":`...)
	b = strconv.AppendUint(b, t.reqLen, 10)
	b = append(b, `,"response_body_len":`...)
	b = strconv.AppendUint(b, t.respLen, 10)
	if t.hasStatus {
		b = append(b, `,"status_code":`...)
		b = strconv.AppendInt(b, int64(t.status), 10)
		b = bstr(b, "status_msg", t.statusMsg, true)
	}
	if t.hasInfo {
		b = append(b, `,"info_code":`...)
		b = strconv.AppendInt(b, int64(t.infoCode), 10)
		b = bstr(b, "info_msg", t.infoMsg, true)
	}
	b = append(b, `,"tags":[]`...)
	b = bstr(b, "username", t.username, t.hasUser)
	b = bstr(b, "password", t.password, t.hasPass)
	b = list(b, "proxied", t.proxied)
	b = list(b, "orig_filenames", t.origFiles)
	b = list(b, "orig_mime_types", t.origMime)
	b = list(b, "resp_filenames", t.respFiles)
	b = list(b, "resp_mime_types", t.respMime)
	b = append(b, '}')
	a.buf = b
	a.out.Record("http", b)
}

func key(b []byte, k string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func str(b []byte, k, v string) []byte { return record.AppendString(key(b, k), v) }

func bstr(b []byte, k string, v []byte, ok bool) []byte {
	if !ok {
		return b
	}
	// AppendString takes a string; the conversion does not allocate when
	// the compiler can prove it does not escape, and costs one copy
	// otherwise.
	return record.AppendString(key(b, k), string(v))
}

func list(b []byte, k string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = key(b, k)
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = record.AppendString(b, s)
	}
	return append(b, ']')
}
