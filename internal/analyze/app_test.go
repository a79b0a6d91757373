package analyze

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// byteCounter is a test analyzer: it counts each side's reassembled bytes
// and gaps and writes them as one "testbytes" record at End.
type byteCounter struct {
	ci    *proto.ConnInfo
	out   proto.Sink
	bytes [2]int
	gaps  [2]int
	seen  bool
}

func (b *byteCounter) Data(dir proto.Direction, ts int64, data []byte) {
	b.bytes[dir] += len(data)
	b.seen = true
}
func (b *byteCounter) Gap(dir proto.Direction, n int) { b.gaps[dir] += n }
func (b *byteCounter) End(ts int64) {
	b.out.Record("testbytes", fmt.Appendf(nil, `{"uid":%q,"orig":%d,"resp":%d,"gaps":%d}`,
		b.ci.UID, b.bytes[0], b.bytes[1], b.gaps[0]+b.gaps[1]))
}
func (b *byteCounter) Service() string {
	if b.seen {
		return "testbytes"
	}
	return ""
}

func init() {
	// Claims SSH connections (the synthetic capture has them, with a
	// banner as the first bytes) so no real analyzer competes.
	proto.Register(&proto.Factory{
		Name: "testbytes", Transports: []uint8{6},
		Detect: func(dir proto.Direction, first []byte, port uint16, _ uint8) proto.Confidence {
			if bytes.HasPrefix(first, []byte("SSH-")) {
				return proto.Sure + 1
			}
			return proto.No
		},
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &byteCounter{ci: ci, out: out} },
	})
}

// TestAppLayerSeesTheWholeStream checks the application layer end to end:
// detection by content, TCP reassembly per side, directions after role
// decisions, End at connection end, and the service in conn.log. The bytes
// an analyzer receives must equal conn.log's sequence-based byte counts.
func TestAppLayerSeesTheWholeStream(t *testing.T) {
	path, _ := writeSynth(t, 30000, 2000)
	cfg := DefaultConfig()
	cfg.Workers = 2
	sum, dir := runTo(t, cfg, path)
	recs := readLog(t, filepath.Join(dir, "testbytes.log"))
	if len(recs) == 0 {
		t.Fatalf("no testbytes records; summary records %v", sum.Records)
	}
	conns := map[string]map[string]any{}
	for _, c := range readLog(t, filepath.Join(dir, "conn.log")) {
		conns[c["uid"].(string)] = c
	}
	for _, r := range recs {
		c := conns[r["uid"].(string)]
		if c == nil {
			t.Fatalf("record for unknown uid %v", r["uid"])
		}
		if c["service"] != "testbytes" {
			t.Errorf("conn %v: service %v, want testbytes", r["uid"], c["service"])
		}
		num := func(m map[string]any, k string) string { return strconv.FormatFloat(toF(m[k]), 'f', 0, 64) }
		if num(r, "orig") != num(c, "orig_bytes") || num(r, "resp") != num(c, "resp_bytes") || toF(r["gaps"]) != 0 {
			t.Errorf("conn %v: analyzer saw orig %v resp %v gaps %v; conn.log says orig_bytes %v resp_bytes %v",
				r["uid"], r["orig"], r["resp"], r["gaps"], c["orig_bytes"], c["resp_bytes"])
		}
	}
	t.Logf("%d SSH connections checked", len(recs))
}

func toF(v any) float64 {
	f, _ := v.(float64)
	return f
}
