// Package prototest holds what the tests of the protocol analyzers under
// internal/proto share: sinks that collect records, feeding a session in
// pieces of every size, and the fuzz-input format of the stream analyzers
// with its seed corpus. It is for tests only: no non-test code imports it.
package prototest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// Sink collects records as strings. It fails the test on a line that is
// not valid JSON and, when Log is set, on a record for another log.
type Sink struct {
	T testing.TB
	// Log is the only log expected ("" accepts any).
	Log string
	// WithLog keeps each record as "LOG LINE" instead of the line alone.
	WithLog bool
	Recs    []string
}

// Record implements proto.Sink.
func (s *Sink) Record(log string, line []byte) {
	if !json.Valid(line) || s.Log != "" && log != s.Log {
		s.T.Fatalf("bad record %s %q", log, line)
	}
	if s.WithLog {
		s.Recs = append(s.Recs, log+" "+string(line))
		return
	}
	s.Recs = append(s.Recs, string(line))
}

// MapSink collects records decoded into maps; it panics on a line that is
// not valid JSON.
type MapSink struct {
	// LogKey, when set, is the key under which each record keeps its log
	// name.
	LogKey string
	Recs   []map[string]any
}

// Record implements proto.Sink.
func (m *MapSink) Record(log string, line []byte) {
	var r map[string]any
	if err := json.Unmarshal(line, &r); err != nil {
		panic("bad json: " + string(line))
	}
	if m.LogKey != "" {
		r[m.LogKey] = log
	}
	m.Recs = append(m.Recs, r)
}

// Feed hands data sent by dir at ts to a in pieces of at most split bytes
// (0: in one piece).
func Feed(a proto.Analyzer, dir proto.Direction, ts int64, data []byte, split int) {
	for len(data) > 0 {
		n := len(data)
		if split > 0 && split < n {
			n = split
		}
		a.Data(dir, ts, data[:n])
		data = data[n:]
	}
}

// The fuzz input of the stream analyzers is a run of pieces, each a
// control byte and the piece: bit 7 of the control byte says the responder
// sent it; with bit 6 set the piece is a gap of (low 6 bits)+1 bytes and
// has no bytes, else the low 6 bits are the piece's length.

// AppendPieces appends data sent by dir to the fuzz input in, in pieces of
// at most 63 bytes.
func AppendPieces(in []byte, dir proto.Direction, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), 63)
		in = append(in, byte(dir)<<7|byte(n))
		in = append(in, data[:n]...)
		data = data[n:]
	}
	return in
}

// Replay feeds the fuzz input in to a, piece i at time start+i*step;
// check, when not nil, runs after each Data call with the length of the
// piece fed. It returns the time of the last piece (0 when there is none).
func Replay(a proto.Analyzer, in []byte, start, step int64, check func(n int)) int64 {
	var ts int64
	for i := int64(0); len(in) > 0; i++ {
		ts = start + i*step
		c := in[0]
		in = in[1:]
		dir := proto.Direction(c >> 7)
		if c&64 != 0 {
			a.Gap(dir, int(c&63)+1)
			continue
		}
		n := min(int(c&63), len(in))
		a.Data(dir, ts, in[:n])
		in = in[n:]
		if check != nil {
			check(n)
		}
	}
	return ts
}

// The fuzz input of the datagram analyzers is a run of datagrams, each a
// control byte (bit 7: sent by the responder; low 7 bits: length) and the
// datagram.

// AppendDatagram appends one datagram (at most 127 bytes) sent by dir to
// the fuzz input in.
func AppendDatagram(in []byte, dir proto.Direction, data []byte) []byte {
	in = append(in, byte(dir)<<7|byte(len(data)))
	return append(in, data...)
}

// ReplayDatagrams feeds the datagram fuzz input in to a, datagram i at
// time i+1; check, when not nil, runs after each one.
func ReplayDatagrams(a proto.Analyzer, in []byte, check func()) {
	for ts := int64(1); len(in) > 0; ts++ {
		c := in[0]
		in = in[1:]
		n := min(int(c&127), len(in))
		a.Data(proto.Direction(c>>7), ts, in[:n])
		in = in[n:]
		if check != nil {
			check()
		}
	}
}

// SeedCorpus writes the seeds (file name → fuzz input) to
// testdata/fuzz/FUZZ when VIGIL_WRITE_SEEDS is set, and fails the test when
// any of them is not there.
func SeedCorpus(t testing.TB, fuzz string, seeds map[string][]byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", fuzz)
	if os.Getenv("VIGIL_WRITE_SEEDS") != "" {
		os.MkdirAll(dir, 0o755)
		for name, in := range seeds {
			os.WriteFile(filepath.Join(dir, name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", in)), 0o644)
		}
	}
	for name := range seeds {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TCPConn is the ConnInfo of a TCP connection "C1" from orig:origP to
// resp:respP.
func TCPConn(orig string, origP uint16, resp string, respP uint16) *proto.ConnInfo {
	return &proto.ConnInfo{UID: "C1", OrigH: netip.MustParseAddr(orig), OrigP: origP,
		RespH: netip.MustParseAddr(resp), RespP: respP, Transport: 6}
}

// CheckReuse fails the test unless used, an ended analyzer, once reused for
// ci (proto.Reuser) writes the records, and reports the service, that a new
// analyzer from newAn writes and reports when both are fed by feed (which
// ends them).
func CheckReuse(t testing.TB, used proto.Analyzer, ci *proto.ConnInfo,
	newAn func(*proto.ConnInfo, proto.Sink) proto.Analyzer, feed func(proto.Analyzer)) {
	t.Helper()
	want := &Sink{T: t, WithLog: true}
	fresh := newAn(ci, want)
	feed(fresh)
	got := &Sink{T: t, WithLog: true}
	used.(proto.Reuser).Reuse(ci, got)
	feed(used)
	if !slices.Equal(got.Recs, want.Recs) || used.Service() != fresh.Service() {
		t.Fatalf("reused analyzer: service %q, records\n%q\nnew one: service %q, records\n%q",
			used.Service(), got.Recs, fresh.Service(), want.Recs)
	}
}

// Weirds returns the weird.log records among m's (LogKey set) as
// "NAME=ADDL", in order.
func (m *MapSink) Weirds() []string {
	var out []string
	for _, r := range m.Recs {
		if m.LogKey != "" && r[m.LogKey] == "weird" {
			name, _ := r["name"].(string)
			addl, _ := r["addl"].(string)
			out = append(out, name+"="+addl)
		}
	}
	return out
}
