package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record/rec"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// typedChecker is a consumer that holds every conn record's decoded
// fields, as the producer handed them (typedConn), to what rec.Conn
// decodes from the line, and a lazily indexed record's other fields to
// the line's.
type typedChecker struct {
	t        *testing.T
	name     string
	conns    int
	https    int
	mismatch int
}

// httpKeys are the keys rec.HTTP locates.
var httpKeys = []string{"uid", "method", "host", "uri", "user_agent", "status_code", "username", "password", "server"}

// checkHTTP holds an http record's located fields to its line: each key's
// raw value, the time, addresses and ports; and the record's other fields,
// read once it is indexed on demand.
func (c *typedChecker) checkHTTP(s *rec.Shared) {
	r, err := s.Rec()
	if err != nil {
		c.t.Fatalf("%s: %v", c.name, err)
	}
	var fresh rec.Rec
	if err := fresh.Parse(s.Log, s.Line); err != nil {
		c.t.Fatalf("%s: %v: %s", c.name, err, s.Line)
	}
	h := r.HTTP()
	if h == nil {
		return // a line the producer could not locate: read by key
	}
	c.https++
	bad := func(what string, got, want any) {
		c.mismatch++
		if c.mismatch <= 5 {
			c.t.Errorf("%s: http %s = %v, the line says %v\nline %s", c.name, what, got, want, s.Line)
		}
	}
	for _, k := range httpKeys {
		got, gotOK := r.Raw(k)
		want, wantOK := fresh.Raw(k)
		if gotOK != wantOK || !bytes.Equal(got, want) {
			bad(k, string(got), string(want))
		}
	}
	if h.TS != fresh.TS() || r.TS() != fresh.TS() {
		bad("ts", h.TS, fresh.TS())
	}
	for _, k := range []string{"id.orig_h", "id.resp_h"} {
		if got, want := r.Addr(k), rec.ParseAddr(fresh.Bytes(k)); got != want {
			bad(k, got, want)
		}
	}
	if uint64(h.OrigP) != fresh.Uint("id.orig_p") || uint64(h.RespP) != fresh.Uint("id.resp_p") {
		bad("ports", [2]uint16{h.OrigP, h.RespP}, [2]uint64{fresh.Uint("id.orig_p"), fresh.Uint("id.resp_p")})
	}
	if r.Str("version") != fresh.Str("version") || r.Uint("trans_depth") != fresh.Uint("trans_depth") ||
		len(r.Fields()) != len(fresh.Fields()) || !sameConn(*r.Conn(), *fresh.Conn()) {
		bad("fields read by key", len(r.Fields()), len(fresh.Fields()))
	}
	if r.HTTP() == nil || r.Addr("id.orig_h") != h.Orig {
		bad("located fields after indexing", r.HTTP(), h)
	}
}

func (c *typedChecker) Record(string, []byte) { c.t.Fatal("the writer must hand rec.Shared") }

func (c *typedChecker) RecordShared(s *rec.Shared) {
	if s.Log == logHTTP {
		c.checkHTTP(s)
		return
	}
	if s.Log != logConn {
		return
	}
	r, err := s.Rec()
	if err != nil {
		c.t.Fatalf("%s: %v", c.name, err)
	}
	got := *r.Conn()
	var fresh rec.Rec
	if err := fresh.Parse(s.Log, s.Line); err != nil {
		c.t.Fatalf("%s: %v: %s", c.name, err, s.Line)
	}
	want := *fresh.Conn()
	c.conns++
	if !sameConn(got, want) {
		c.mismatch++
		if c.mismatch <= 5 {
			c.t.Errorf("%s: typed conn differs from its line\n got %+v\nwant %+v\nline %s", c.name, got, want, s.Line)
		}
	}
	if r.TS() != fresh.TS() || r.Str("proto") != fresh.Str("proto") || len(r.Fields()) != len(fresh.Fields()) {
		c.t.Errorf("%s: a typed record's fields differ from its line's: %s", c.name, s.Line)
	}
	if again := r.Conn(); !sameConn(*again, want) {
		c.t.Errorf("%s: Conn changed once the line was indexed", c.name)
	}
}

func sameConn(a, b rec.Conn) bool {
	if !bytes.Equal(a.UID, b.UID) || !bytes.Equal(a.Service, b.Service) || !bytes.Equal(a.History, b.History) ||
		(a.Service == nil) != (b.Service == nil) || (a.History == nil) != (b.History == nil) {
		return false
	}
	a.UID, a.Service, a.History = nil, nil, nil
	b.UID, b.Service, b.History = nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// TestTypedRecordsMatchTheirLines: what consumers read of a conn or http
// record is what its line says, on a synthetic capture, the lab's captures
// and (where present) corpus captures of many kinds, with one worker and
// two.
func TestTypedRecordsMatchTheirLines(t *testing.T) {
	synth, _ := writeSynth(t, 20000, 2000)
	paths := []string{synth}
	lab, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "lab", "*.pcap"))
	paths = append(paths, lab...)
	if dir := testcorpus.Dir(); dir != "" {
		for _, sub := range []string{"zeek", "suricata-verify"} {
			all := testcorpus.Captures(t, filepath.Join(dir, sub))
			for i := 0; i < len(all); i += 1 + len(all)/40 { // about 40 of each
				if st, err := os.Stat(all[i]); err == nil && st.Size() < 8<<20 {
					paths = append(paths, all[i])
				}
			}
		}
	}
	total, https := 0, 0
	for _, p := range paths {
		for _, workers := range []int{1, 2} {
			chk := &typedChecker{t: t, name: filepath.Base(p)}
			cfg := DefaultConfig()
			cfg.Workers = workers
			cfg.Consumers = []Consumer{chk}
			runTo(t, cfg, p)
			total += chk.conns
			https += chk.https
		}
	}
	if total < 5000 || https < 1000 {
		t.Fatalf("only %d conn and %d http records checked", total, https)
	}
	t.Logf("%d conn and %d http records in %d captures: typed fields match their lines", total, https, len(paths))
}
