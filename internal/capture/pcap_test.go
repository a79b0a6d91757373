package capture

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

func TestWriterRoundTrip(t *testing.T) {
	frames := []frame{
		{TS: 0, Data: "", OrigLen: 0},
		{TS: 1, Data: string(pkt(60, 1)), OrigLen: 60},
		{TS: 1_700_000_000_123_456_789, Data: string(pkt(1514, 2)), OrigLen: 1514},
		{TS: 1_700_000_000_999_999_999, Data: string(pkt(100, 3)), OrigLen: 9000}, // snapped
		{TS: 4294967295_999_999_999, Data: string(pkt(MaxFrameLen, 4)), OrigLen: MaxFrameLen},
	}
	for _, link := range []decode.LinkType{decode.LinkEthernet, decode.LinkRaw, decode.LinkLinuxSLL2} {
		b := writePcap(t, link, frames...)
		got, err := readBytes(t, b)
		if err != io.EOF {
			t.Fatalf("link %d: err %v", link, err)
		}
		want := make([]frame, len(frames))
		for i, f := range frames {
			f.Link = link
			want[i] = f
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("link %d: round trip differs", link)
		}
	}
}

func TestWriterRules(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, decode.LinkEthernet, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(5e9, pkt(100, 0), 10); err != nil { // cut to 64, orig raised to 100
		t.Fatal(err)
	}
	if err := w.WritePacket(-1, nil, 0); err == nil {
		t.Fatal("negative timestamp accepted")
	}
	if err := w.WritePacket(1<<32*1e9, nil, 0); err == nil {
		t.Fatal("timestamp past 2106 accepted")
	}
	got, err := readBytes(t, buf.Bytes())
	if err != io.EOF || len(got) != 1 {
		t.Fatalf("got %d frames, %v", len(got), err)
	}
	if g := got[0]; g.TS != 5e9 || len(g.Data) != 64 || g.OrigLen != 100 || g.Data != string(pkt(64, 0)) {
		t.Fatalf("got %+v", g)
	}

	big, err := NewWriter(io.Discard, decode.LinkEthernet, 2*MaxFrameLen)
	if err != nil {
		t.Fatal(err)
	}
	if err := big.WritePacket(0, make([]byte, MaxFrameLen+1), 0); err == nil {
		t.Fatal("frame over MaxFrameLen accepted")
	}
	data := pkt(1500, 9)
	if n := testing.AllocsPerRun(100, func() {
		if err := w.WritePacket(1e18, data, 1500); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("WritePacket: %v allocs", n)
	}
}

func TestPcapVariants(t *testing.T) {
	data := pkt(42, 5)
	for _, be := range []bool{false, true} {
		for _, nano := range []bool{false, true} {
			p := &pcapFile{be: be, nano: nano, link: 0x1c000000 | 113, snap: 65535}
			p.header().
				record(10, 20, 42, 42, data).
				record(11, 999999, 42, 10, data). // orig < incl: OrigLen = incl
				record(12, 0, 0, 0, nil).
				record(13, 0xffffffff, 0, 0, nil) // a fraction past a second is added as is
			got, err := readBytes(t, p.buf)
			if err != io.EOF {
				t.Fatalf("be=%v nano=%v: %v", be, nano, err)
			}
			unit := int64(1000)
			if nano {
				unit = 1
			}
			want := []frame{
				{TS: 10e9 + 20*unit, Data: string(data), OrigLen: 42, Link: decode.LinkLinuxSLL},
				{TS: 11e9 + 999999*unit, Data: string(data), OrigLen: 42, Link: decode.LinkLinuxSLL},
				{TS: 12e9, Data: "", OrigLen: 0, Link: decode.LinkLinuxSLL},
				{TS: 13e9 + 0xffffffff*unit, Data: "", OrigLen: 0, Link: decode.LinkLinuxSLL},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("be=%v nano=%v: got %+v", be, nano, got)
			}
		}
	}
}

func TestRecordLimit(t *testing.T) {
	for _, tc := range []struct{ snap, want uint32 }{
		{0, MaxFrameLen}, {65535, MaxFrameLen}, {262144, MaxFrameLen}, {1 << 31, MaxFrameLen}, {^uint32(0), MaxFrameLen},
	} {
		if got := recordLimit(tc.snap); got != tc.want {
			t.Errorf("recordLimit(%d) = %d, want %d", tc.snap, got, tc.want)
		}
	}
	// A small snap length does not stop a record up to 262144 bytes.
	p := (&pcapFile{snap: 96, link: 1}).header().record(1, 0, 100000, 100000, pkt(100000, 1))
	if got, err := readBytes(t, p.buf); err != io.EOF || len(got) != 1 {
		t.Fatalf("got %d frames, %v", len(got), err)
	}
}

func TestPcapErrors(t *testing.T) {
	data := pkt(40, 1)
	good := (&pcapFile{snap: 65535, link: 1}).header().record(1, 0, 40, 40, data).buf // 24 + 56 = 80
	rec2 := 80
	tests := []struct {
		name   string
		in     []byte
		frames int
		off    int64
		msg    string
		eof    bool // io.ErrUnexpectedEOF wrapped
	}{
		{"header cut", good[:10], 0, 0, "truncated pcap file header", true},
		{"record header cut", append(append([]byte{}, good...), 1, 2, 3), 1, int64(rec2), "truncated record header", true},
		{"record data cut", append(append([]byte{}, good...), (&pcapFile{}).record(2, 0, 40, 40, data[:39]).buf...), 1, int64(rec2), "truncated record", true},
		{"incl too big", append(append([]byte{}, good...), (&pcapFile{}).record(2, 0, MaxFrameLen+1, 0, nil).buf...), 1, int64(rec2), "exceeds limit 262144", false},
		{"incl huge", append(append([]byte{}, good...), (&pcapFile{}).record(2, 0, 0xffffffff, 0, nil).buf...), 1, int64(rec2), "captured length 4294967295", false},
		{"first record cut", good[:30], 0, 24, "truncated record header", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBytes(t, tc.in)
			if len(got) != tc.frames {
				t.Fatalf("got %d frames, want %d", len(got), tc.frames)
			}
			e := asError(t, err)
			if e.Offset != tc.off || e.File != "test" {
				t.Fatalf("error %v: offset %d, want %d", e, e.Offset, tc.off)
			}
			contains(t, err, tc.msg)
			if errors.Is(err, io.ErrUnexpectedEOF) != tc.eof {
				t.Fatalf("error %v: ErrUnexpectedEOF wrapped = %v", err, !tc.eof)
			}
		})
	}
}

func TestPcapZeroAlloc(t *testing.T) {
	head := writePcap(t, decode.LinkEthernet)
	body := writePcap(t, decode.LinkEthernet, frame{TS: 1, Data: string(pkt(1000, 1))}, frame{TS: 2, Data: string(pkt(60, 2))})[24:]
	src, err := OpenReader("loop", &loopReader{head: head, body: body})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	if n := testing.AllocsPerRun(10000, func() {
		if err := src.Next(&f); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Next: %v allocs per frame", n)
	}
}
