package analyze

import (
	"bytes"
	"fmt"
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
	syns     int
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

// synMatchesLine holds a "_syn" fact's fields to its line's: each as a
// reader of the line by key gets it.
func synMatchesLine(y *rec.SYN, line []byte) error {
	var f rec.Rec
	if err := f.Parse(factSYN, line); err != nil {
		return fmt.Errorf("%v: %s", err, line)
	}
	want := rec.SYN{TS: f.TS(), Src: rec.ParseAddr(f.Bytes("src")), Dst: rec.ParseAddr(f.Bytes("dst")),
		SrcP: uint16(f.Uint("src_p")), DstP: uint16(f.Uint("dst_p")),
		TTL: uint16(f.Uint("ttl")), Win: uint16(f.Uint("win")), MSS: uint16(f.Uint("mss")), WScale: -1}
	if f.Has("wscale") {
		want.WScale = int(f.Uint("wscale"))
	}
	want.DF, _ = f.Bool("df")
	want.Ack, _ = f.Bool("ack")
	got := *y
	mac, _ := f.Raw("src_mac")
	opts, _ := f.Raw("opts")
	if !bytes.Equal(got.SrcMAC.Raw(line), mac) || !bytes.Equal(got.Opts.Raw(line), opts) {
		return fmt.Errorf("syn src_mac %q, opts %q; the line says %q, %q: %s",
			got.SrcMAC.Raw(line), got.Opts.Raw(line), mac, opts, line)
	}
	got.SrcMAC, got.Opts = rec.Span{}, rec.Span{}
	if got != want {
		return fmt.Errorf("syn fields %+v; the line says %+v: %s", got, want, line)
	}
	return nil
}

// checkSYN holds a "_syn" fact's fields to its line, and its other
// fields, read by key, to the line's.
func (c *typedChecker) checkSYN(s *rec.Shared) {
	r, err := s.Rec()
	if err != nil {
		c.t.Fatalf("%s: %v", c.name, err)
	}
	y := r.SYN()
	if y == nil {
		c.t.Fatalf("%s: a _syn fact came without its fields", c.name)
	}
	c.syns++
	if err := synMatchesLine(y, s.Line); err != nil {
		c.mismatch++
		if c.mismatch <= 5 {
			c.t.Errorf("%s: %v", c.name, err)
		}
	}
	var fresh rec.Rec
	fresh.Parse(s.Log, s.Line) //nolint:errcheck // synMatchesLine parsed it
	if r.Uint("seq") != fresh.Uint("seq") || r.TS() != fresh.TS() || len(r.Fields()) != len(fresh.Fields()) ||
		r.SYN() == nil || *r.SYN() != *y {
		c.t.Errorf("%s: a _syn fact's fields read by key differ from its line's: %s", c.name, s.Line)
	}
}

func (c *typedChecker) Record(string, []byte) { c.t.Fatal("the writer must hand rec.Shared") }

func (c *typedChecker) RecordShared(s *rec.Shared) {
	if s.Log == logHTTP {
		c.checkHTTP(s)
		return
	}
	if s.Log == factSYN {
		c.checkSYN(s)
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
// record or a "_syn" fact is what its line says, on a synthetic capture, the lab's captures
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
	total, https, syns := 0, 0, 0
	for _, p := range paths {
		for _, workers := range []int{1, 2} {
			chk := &typedChecker{t: t, name: filepath.Base(p)}
			cfg := DefaultConfig()
			cfg.Workers = workers
			cfg.Consumers = []Consumer{chk}
			runTo(t, cfg, p)
			total += chk.conns
			https += chk.https
			syns += chk.syns
		}
	}
	if total < 5000 || https < 1000 || syns < 1000 {
		t.Fatalf("only %d conn and %d http records and %d _syn facts checked", total, https, syns)
	}
	t.Logf("%d conn and %d http records and %d _syn facts in %d captures: typed fields match their lines",
		total, https, syns, len(paths))
}
