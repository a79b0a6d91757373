package http

import (
	"bytes"
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

type jsonCheck struct{ t *testing.T }

func (j jsonCheck) Record(log string, line []byte) {
	if !json.Valid(line) {
		j.t.Fatalf("invalid JSON: %q", line)
	}
}

// RecordHTTP implements proto.HTTPSink: the fields the analyzer located
// must be what a reader of the line gets, whatever the input put in them.
func (j jsonCheck) RecordHTTP(line []byte, h *rec.HTTP) {
	j.Record("http", line)
	var r rec.Rec
	if err := r.Parse("http", line); err != nil {
		j.t.Fatalf("%v: %q", err, line)
	}
	spans := map[string]rec.Span{"uid": h.UID, "method": h.Method, "host": h.Host, "uri": h.URI,
		"user_agent": h.UserAgent, "status_code": h.StatusCode, "username": h.Username,
		"password": h.Password, "server": h.Server}
	for key, sp := range spans {
		want, ok := r.Raw(key)
		if got := sp.Raw(line); ok != (got != nil) || !bytes.Equal(got, want) {
			j.t.Fatalf("%s located as %q, the line has %q: %q", key, got, want, line)
		}
	}
	if h.TS != r.TS() || h.Orig != rec.ParseAddr(r.Bytes("id.orig_h")) || h.Resp != rec.ParseAddr(r.Bytes("id.resp_h")) ||
		uint64(h.OrigP) != r.Uint("id.orig_p") || uint64(h.RespP) != r.Uint("id.resp_p") {
		j.t.Fatalf("time, addresses or ports differ from the line's: %+v %q", h, line)
	}
}

// FuzzParser feeds arbitrary input as a sequence of pieces: each starts
// with a control byte (bit 7: responder, bit 6: a gap of the low bits'
// size instead of data, low 6 bits: piece length) followed by the piece.
func FuzzParser(f *testing.F) {
	for _, c := range cases {
		var in []byte
		for _, s := range c.steps {
			d := []byte(s.data)
			for len(d) > 0 {
				n := min(len(d), 63)
				in = append(in, byte(s.dir)<<7|byte(n))
				in = append(in, d[:n]...)
				d = d[n:]
			}
		}
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			fuzzOne(t, in)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("no progress after 5s:\n%s", buf[:n])
		}
	})
}

func fuzzOne(t *testing.T, in []byte) {
	ci := &proto.ConnInfo{UID: "F"}
	a := New(ci, jsonCheck{t})
	feed := func(a proto.Analyzer) { replayChecked(t, a.(*Analyzer), in) }
	feed(a)
	// a, ended, serves another connection as a new analyzer does.
	prototest.CheckReuse(t, a, ci, func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
		return New(ci, out)
	}, feed)
}

// replayChecked feeds a the fuzz input in, checking its bounds after each
// piece, then ends it.
func replayChecked(t *testing.T, a *Analyzer, in []byte) {
	ts := replayPieces(a, in, 37, func() {
		for d := range a.sides {
			if len(a.sides[d].line) > MaxLine || len(a.sides[d].hdr) > MaxLine {
				t.Fatalf("line bound broken")
			}
		}
		if len(a.pend) > MaxPending+2 {
			t.Fatalf("%d pending", len(a.pend))
		}
	})
	a.End(ts + 1)
}

// replayPieces feeds a the fuzz input as pieces, one a tick: a byte (the
// direction in its top bit; a gap of n*gapScale+1 bytes when bit 6 is set,
// else n data bytes from the input, n its low six bits) and the data. It
// calls check after each data piece and returns the last tick.
func replayPieces(a *Analyzer, in []byte, gapScale int, check func()) int64 {
	ts := int64(0)
	for len(in) > 0 {
		c := in[0]
		in = in[1:]
		dir := proto.Direction(c >> 7)
		n := int(c & 63)
		ts++
		if c&64 != 0 {
			a.Gap(dir, n*gapScale+1)
			continue
		}
		n = min(n, len(in))
		a.Data(dir, ts, in[:n])
		in = in[n:]
		check()
	}
	return ts
}

// FuzzSniff: any body gets a MIME type or "", never a panic.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{"<script type=", "<script>", "document.write", "(function()", "<?xml ?><!doctype ", "for (;;);", "\x89PNG\r\n\x1a\n", "{\"a\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Sniff(b)
	})
}
