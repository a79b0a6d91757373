package ntp

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var testConn = proto.ConnInfo{
	UID: "Cntp", OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 123,
	RespH: netip.MustParseAddr("10.0.0.2"), RespP: 123, Transport: 17,
}

// msg builds a 48-byte standard message.
func msg(vn, mode, stratum uint8, xmt uint64) []byte {
	b := make([]byte, 48)
	b[0] = vn<<3 | mode
	b[1] = stratum
	b[2] = 6                                             // poll 64 s
	b[3] = byte(256 - 20)                                // precision 2^-20
	binary.BigEndian.PutUint32(b[4:], 0x00010000|0x8000) // 1.5 s
	binary.BigEndian.PutUint32(b[8:], 0x00000290)
	copy(b[12:], "GPS\x00")
	binary.BigEndian.PutUint64(b[40:], xmt)
	return b
}

func TestParseAndLog(t *testing.T) {
	const xmt = uint64(3766235356)<<32 | 1<<31 // 2019-05-07T16:29:16.5Z
	cases := []struct {
		name    string
		data    []byte
		ok      bool
		records int
		check   func(t *testing.T, r map[string]any)
	}{
		{"client v4", msg(4, 3, 2, xmt), true, 1, func(t *testing.T, r map[string]any) {
			if r["xmt_time"].(float64) != 1557246556.5 || r["ref_id"] != "71.80.83.0" || r["poll"].(float64) != 64 {
				t.Errorf("record %v", r)
			}
			if r["root_delay"].(float64) != 1.5 || r["precision"].(float64) != 0.000001 || r["org_time"].(float64) != 0 {
				t.Errorf("record %v", r)
			}
		}},
		{"stratum 1 ref clock", msg(4, 4, 1, xmt), true, 1, func(t *testing.T, r map[string]any) {
			if r["ref_id"] != "GPS\x00" {
				t.Errorf("ref_id %q", r["ref_id"])
			}
		}},
		{"mode 0: header only", []byte{4 << 3}, true, 1, func(t *testing.T, r map[string]any) {
			if _, ok := r["stratum"]; ok || r["mode"].(float64) != 0 {
				t.Errorf("record %v", r)
			}
		}},
		{"mode 6 not logged", []byte{2<<3 | 6, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, true, 0, nil},
		{"mode 7 not logged", []byte{0x17, 0, 3, 42, 0, 0, 0, 0}, true, 0, nil},
		{"short std", msg(4, 3, 2, xmt)[:47], false, 0, nil},
		{"mode 6 count past end", []byte{2<<3 | 6, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9}, false, 0, nil},
		{"empty", nil, false, 0, nil},
		{"mac only", append(msg(4, 3, 2, xmt), make([]byte, 20)...), true, 1, nil},
		{"bad extension", append(msg(4, 3, 2, xmt), []byte("T  \xff\xff  \xff                      ")...), false, 0, nil},
		{"rfc 7822 extension", append(msg(4, 3, 2, xmt), append([]byte{1, 4, 0, 32, 0, 0, 0xff, 0xff, 0xff, 0xff}, make([]byte, 22)...)...), true, 1, func(t *testing.T, r map[string]any) {
			if r["num_exts"].(float64) != 1 {
				t.Errorf("num_exts %v", r["num_exts"])
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := Parse(c.data); ok != c.ok {
				t.Fatalf("Parse ok = %v", ok)
			}
			s := &prototest.MapSink{LogKey: "_log"}
			a := New(&testConn, s)
			a.Data(proto.FromOrig, 1e9, c.data)
			a.End(2e9)
			if len(s.Recs) != c.records {
				t.Fatalf("%d records", len(s.Recs))
			}
			if c.check != nil {
				c.check(t, s.Recs[0])
			}
			if (a.Service() == "ntp") != c.ok {
				t.Errorf("service %q", a.Service())
			}
		})
	}
}

func TestFlip(t *testing.T) {
	s := &prototest.MapSink{LogKey: "_log"}
	a := New(&testConn, s)
	a.Data(proto.FromOrig, 1, msg(4, 4, 2, 1<<40)) // a server reply from the originator
	a.Data(proto.FromResp, 2, msg(4, 3, 2, 1<<40))
	for _, r := range s.Recs {
		if r["id.orig_h"] != "10.0.0.2" {
			t.Errorf("not flipped: %v", r)
		}
	}
}

func TestDetect(t *testing.T) {
	good := msg(4, 3, 2, uint64(3766235356)<<32)
	if c := Detect(proto.FromOrig, good, 123, 17); c != proto.Likely {
		t.Errorf("port 123: %v", c)
	}
	if c := Detect(proto.FromOrig, good, 5000, 17); c != proto.Maybe {
		t.Errorf("off port: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte("GET / HTTP/1.1\r\n"), 5000, 17); c != proto.No {
		t.Errorf("text: %v", c)
	}
	if c := Detect(proto.FromOrig, good, 123, 6); c != proto.No {
		t.Errorf("tcp: %v", c)
	}
}

func FuzzAnalyzer(f *testing.F) {
	f.Add(msg(4, 3, 2, 1<<60))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &prototest.MapSink{LogKey: "_log"}
		a := New(&testConn, s)
		feed := func(a proto.Analyzer) {
			a.Data(proto.FromOrig, 1, b)
			a.Data(proto.FromResp, 2, b)
			a.End(3)
		}
		feed(a)
		Detect(proto.FromOrig, b, 123, 17)
		// a, ended, serves another connection as a new analyzer does.
		prototest.CheckReuse(t, a, &testConn, func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		}, feed)
	})
}

func TestRefID(t *testing.T) {
	for _, c := range []struct {
		stratum uint8
		id      [4]byte
		want    string
	}{
		{0, [4]byte{'R', 'A', 'T', 'E'}, "RATE"},
		{1, [4]byte{'G', 'P', 'S', 0}, "GPS\x00"},
		{2, [4]byte{192, 168, 0, 1}, "192.168.0.1"},
		{16, [4]byte{0, 0, 0, 0}, "0.0.0.0"},
		{3, [4]byte{255, 255, 255, 255}, "255.255.255.255"},
	} {
		if got := RefID(c.stratum, c.id); got != c.want {
			t.Errorf("RefID(%d, %v) = %q, want %q", c.stratum, c.id, got, c.want)
		}
	}
}
