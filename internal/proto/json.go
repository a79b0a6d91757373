package proto

import "github.com/vigil-nsm/vigil/internal/record"

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
