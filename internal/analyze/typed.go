package analyze

import (
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// typedConn is a conn record's fields as rec.Conn decodes them from its
// line, filled by the producer from the record it wrote the line from and
// carried beside the line in its chunk: the consumers then read them
// (rec.Shared.ResetConn) without indexing the line and turning its text
// back into numbers and addresses. The text fields are spans of the line,
// which moves with its chunk; the times are read from the line's own
// digits, so that they are the floats a reader of the line gets.
// TestTypedRecordsMatchTheirLines holds every field to rec.Conn's decoding.
type typedConn struct {
	rec                   int      // the record's index in its chunk
	conn                  rec.Conn // its text fields: the spans
	uid, service, history rec.Span
	origL2, respL2        rec.Span
}

// newTypedConn returns the decoded fields of c, the i-th record of its
// chunk, written as line with the spans sp.
func newTypedConn(i int, c *record.Conn, line []byte, sp record.ConnSpans) typedConn {
	t := typedConn{rec: i, uid: sp.UID, service: sp.Service, history: sp.History, origL2: sp.OrigL2, respL2: sp.RespL2}
	d := &t.conn
	d.TS, _ = rec.Number(line[sp.TS.Off:sp.TS.End])
	d.Orig, d.OrigP, d.Resp, d.RespP = rec.AsRead(c.OrigH), c.OrigP, rec.AsRead(c.RespH), c.RespP
	d.Proto = rec.ProtoNamed(c.Proto)
	if c.HasIPProto {
		d.IPProto = uint64(c.IPProto)
	}
	if c.HasDuration {
		d.Duration, _ = rec.Number(line[sp.Duration.Off:sp.Duration.End])
	}
	if c.HasOrigBytes {
		d.OrigBytes = c.OrigBytes
	}
	if c.HasRespBytes {
		d.RespBytes = c.RespBytes
	}
	d.State = rec.StateNamed(c.ConnState)
	d.OrigPkts, d.RespPkts = c.OrigPkts, c.RespPkts
	d.OrigIPBytes, d.RespIPBytes = c.OrigIPBytes, c.RespIPBytes
	d.MissedBytes = c.MissedBytes
	d.Tunneled = len(c.TunnelParents) > 0
	d.LocalOrig, d.LocalResp = c.HasLocal && c.LocalOrig, c.HasLocal && c.LocalResp
	if c.OrigL2Addr != "" {
		d.OrigMAC, _ = rec.ParseMAC([]byte(c.OrigL2Addr))
	}
	if c.RespL2Addr != "" {
		d.RespMAC, _ = rec.ParseMAC([]byte(c.RespL2Addr))
	}
	return t
}

// decoded returns the fields with their text in line, the record's line.
func (t *typedConn) decoded(line []byte) *rec.Conn {
	d := &t.conn
	d.UID = t.uid.Raw(line)
	d.Service, d.History = t.service.Raw(line), t.history.Raw(line)
	d.OrigL2, d.RespL2 = t.origL2.Raw(line), t.respL2.Raw(line)
	return d
}

// typedHTTP is an http record's located fields (rec.HTTP), which its
// producer (the http analyzer) hands with the line: consumers read them
// without indexing the line (rec.Shared.ResetHTTP).
// TestTypedRecordsMatchTheirLines holds them to the line.
type typedHTTP struct {
	rec    int // the record's index in its chunk
	fields rec.HTTP
}

// typedSYN is a "_syn" fact's fields (rec.SYN), which its producer (the
// packet reader) hands with the line: the inventory reads them without
// indexing the line (rec.Shared.ResetSYN).
// TestTypedRecordsMatchTheirLines holds them to the line.
type typedSYN struct {
	rec    int // the record's index in its chunk
	fields rec.SYN
}

// slicePool keeps emptied slices (a chunk's typed records, once written)
// for the producers' next chunks: a run then allocates them only while
// the records held grow, not for every chunk. The zero value keeps none.
type slicePool[T any] struct{ free chan []T }

func newSlicePool[T any](n int) slicePool[T] { return slicePool[T]{make(chan []T, n)} }

// get returns an empty slice, a reused one when there is one.
func (p slicePool[T]) get() []T {
	select {
	case s := <-p.free:
		return s
	default:
		return make([]T, 0, 128)
	}
}

// put offers s, whose elements are no longer read, for reuse.
func (p slicePool[T]) put(s []T) {
	if cap(s) == 0 {
		return
	}
	select {
	case p.free <- s[:0]:
	default:
	}
}
