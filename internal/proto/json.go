package proto

import (
	"bytes"
	"slices"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// ConnHeaderFields reads back, from a record that AppendConnHeader began
// (line, the record so far), its time and where its uid lies, and takes
// the addresses and ports from ci: the fields of rec.HTTP the header
// holds. ok is false when the line does not read as such a header.
func ConnHeaderFields(line []byte, ci *ConnInfo, h *rec.HTTP) (ok bool) {
	const open = len(`{"ts":`)
	end := bytes.IndexByte(line[min(open, len(line)):], ',')
	if end < 0 {
		return false
	}
	end += open
	h.TS, ok = rec.Number(line[open:end])
	if !ok || ci == nil {
		return ok
	}
	uid := end + len(`,"uid":`)
	uidEnd := uid + len(ci.UID) + 2
	if uidEnd > len(line) || line[uid] != '"' || line[uidEnd-1] != '"' {
		return false
	}
	h.UID = rec.Span{Off: uint32(uid), End: uint32(uidEnd)}
	h.Orig, h.Resp, h.OrigP, h.RespP = rec.AsRead(ci.OrigH), rec.AsRead(ci.RespH), ci.OrigP, ci.RespP
	return true
}

// AppendWeird makes a weird.log record of the connection ci, as Zeek's
// conn_weird logs one: its uid and id, the weird's name, addl when not
// empty, and the analyzer that saw it as source. An analyzer writes it to
// its Sink as a "weird" record (Weirds.Log).
func AppendWeird(dst []byte, ts int64, ci *ConnInfo, name, addl, source string) []byte {
	dst = AppendConnHeader(dst, ts, ci)
	dst = record.AppendStringField(dst, "name", name)
	if addl != "" {
		dst = record.AppendStringField(dst, "addl", addl)
	}
	dst = append(dst, `,"notice":false`...)
	dst = record.AppendStringField(dst, "peer", record.Peer)
	dst = record.AppendStringField(dst, "source", source)
	return append(dst, '}')
}

// Weirds logs an analyzer's weirds for its connection, each name once:
// Zeek logs a connection's repeat of a weird at most once in ten minutes.
// The zero value is ready.
type Weirds struct{ logged []string }

// Log writes weird name (with addl, from the analyzer source) for
// connection ci at ts to out, unless it was logged for ci already.
func (w *Weirds) Log(out Sink, ts int64, ci *ConnInfo, name, addl, source string) {
	if out == nil || slices.Contains(w.logged, name) {
		return
	}
	w.logged = append(w.logged, name)
	out.Record("weird", AppendWeird(nil, ts, ci, name, addl, source))
}

// AppendConnHeader starts a record for the connection ci: `{"ts":` with ts
// (Unix ns, as Zeek prints time values), then, when ci is not nil, its uid
// and the id.orig_h, id.orig_p, id.resp_h and id.resp_p fields. The caller
// appends its own fields and the closing brace.
func AppendConnHeader(dst []byte, ts int64, ci *ConnInfo) []byte {
	return AppendConnHeaderRoles(dst, ts, ci, false)
}

// AppendConnHeaderRoles is AppendConnHeader with the id.orig_* and
// id.resp_* fields swapped when flipped is set: Zeek's role flip, for logs
// (dns, ntp) that decide who the originator is from the messages.
func AppendConnHeaderRoles(dst []byte, ts int64, ci *ConnInfo, flipped bool) []byte {
	dst = append(dst, `{"ts":`...)
	dst = record.AppendTime(dst, ts)
	if ci == nil {
		return dst
	}
	// The uid and addresses are the same in every record of a
	// connection: formatted once (an IPv6 address costs as much as the
	// rest of a small record).
	id := &ci.id
	if flipped {
		id = &ci.idFlipped
	}
	if len(*id) == 0 {
		b := *id
		if cap(b) == 0 {
			// Room for a uid and two IPv6 addresses with ports: one allocation.
			b = make([]byte, 0, 160)
		}
		if flipped {
			*id = record.AppendConnID(b, ci.UID, ci.RespH, ci.RespP, ci.OrigH, ci.OrigP)
		} else {
			*id = record.AppendConnID(b, ci.UID, ci.OrigH, ci.OrigP, ci.RespH, ci.RespP)
		}
	}
	return append(dst, *id...)
}
