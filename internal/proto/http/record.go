package http

import (
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// write encodes t as one http.log JSON object (Zeek's field names and
// order; unset optional fields omitted) and hands it to the sink.
func (a *Analyzer) write(t *txn) {
	if a.out == nil {
		return
	}
	b := a.buf[:0]
	b = proto.AppendConnHeader(b, t.ts, a.ci)
	b = append(b, `,"trans_depth":`...)
	b = strconv.AppendInt(b, int64(t.depth), 10)
	b = bstr(b, `,"method":`, t.method, t.hasMethod)
	b = bstr(b, `,"host":`, t.host, t.hasHost)
	b = bstr(b, `,"uri":`, t.uri, t.hasURI)
	b = bstr(b, `,"referrer":`, t.referrer, t.hasReferrer)
	b = bstr(b, `,"version":`, t.version, t.hasVersion)
	b = bstr(b, `,"user_agent":`, t.userAgent, t.hasUA)
	b = bstr(b, `,"origin":`, t.origin, t.hasOrigin)
	b = append(b, `,"request_body_len":`...)
	b = strconv.AppendUint(b, t.reqLen, 10)
	b = append(b, `,"response_body_len":`...)
	b = strconv.AppendUint(b, t.respLen, 10)
	if t.hasStatus {
		b = append(b, `,"status_code":`...)
		b = strconv.AppendInt(b, int64(t.status), 10)
		b = bstr(b, `,"status_msg":`, t.statusMsg, true)
	}
	if t.hasInfo {
		b = append(b, `,"info_code":`...)
		b = strconv.AppendInt(b, int64(t.infoCode), 10)
		b = bstr(b, `,"info_msg":`, t.infoMsg, true)
	}
	b = append(b, `,"tags":[]`...)
	b = bstr(b, `,"username":`, t.username, t.hasUser)
	b = bstr(b, `,"password":`, t.password, t.hasPass)
	if len(t.proxied)+len(t.origFiles)+len(t.origMime)+len(t.respFiles)+len(t.respMime) > 0 {
		b = list(b, `,"proxied":`, t.proxied)
		b = list(b, `,"orig_filenames":`, t.origFiles)
		b = list(b, `,"orig_mime_types":`, t.origMime)
		b = list(b, `,"resp_filenames":`, t.respFiles)
		b = list(b, `,"resp_mime_types":`, t.respMime)
	}
	// Vigil's addition after Zeek's fields: the server's software, for
	// the asset inventory (Zeek puts it in software.log).
	b = bstr(b, `,"server":`, t.server, t.hasServer)
	b = append(b, '}')
	a.buf = b
	a.out.Record("http", b)
}

// bstr appends the string field whose key (with its comma and colon) is
// key, when ok.
func bstr(b []byte, key string, v []byte, ok bool) []byte {
	if !ok {
		return b
	}
	return record.AppendBytesString(append(b, key...), v)
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
