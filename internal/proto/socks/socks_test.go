package socks

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

type step struct {
	dir  proto.Direction
	data string
}

// run feeds the steps and returns, for the Data call that granted the
// tunnel, the hand-over's consumed count (-1 when none).
func run(steps []step) (a *Analyzer, consumed int) {
	a = New(nil, nil)
	consumed = -1
	for _, s := range steps {
		a.Data(s.dir, 0, []byte(s.data))
		if _, n, ok := a.Upgrade(); ok {
			consumed = n
		}
	}
	return a, consumed
}

func TestHandover(t *testing.T) {
	const o, r = proto.FromOrig, proto.FromResp
	for _, c := range []struct {
		name  string
		steps []step
		want  int // consumed; -1: no hand-over
	}{
		{"socks5 no auth", []step{{o, "\x05\x01\x00"}, {r, "\x05\x00"},
			{o, "\x05\x01\x00\x03\x0bexample.com\x01\xbb"}, {r, "\x05\x00\x00\x01\x0a\x00\x00\x01\x04\x38"}}, 10},
		{"socks5 reply split, tunnel bytes after it", []step{{o, "\x05\x02\x00\x02"}, {r, "\x05\x00"},
			{o, "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x50"}, {r, "\x05\x00\x00"}, {r, "\x01\x0a\x00\x00\x01\x04\x38SSH-2.0"}}, 7},
		{"socks5 user/pass", []step{{o, "\x05\x01\x02"}, {r, "\x05\x02"}, {o, "\x01\x03bob\x03pwd"}, {r, "\x01\x00"},
			{o, "\x05\x01\x00\x04" + string(make([]byte, 16)) + "\x01\xbb"}, {r, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"}}, 10},
		{"socks5 refused", []step{{o, "\x05\x01\x00"}, {r, "\x05\x00"},
			{o, "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x50"}, {r, "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00"}}, -1},
		{"socks5 bad auth", []step{{o, "\x05\x01\x02"}, {r, "\x05\x02"}, {o, "\x01\x03bob\x03pwd"}, {r, "\x01\x01"},
			{o, "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x50"}, {r, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"}}, -1},
		{"socks5 bind", []step{{o, "\x05\x01\x00"}, {r, "\x05\x00"},
			{o, "\x05\x02\x00\x01\x0a\x00\x00\x02\x00\x50"}, {r, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"}}, -1},
		{"socks4", []step{{o, "\x04\x01\x01\xbb\x0a\x00\x00\x02user\x00"}, {r, "\x00\x5a\x01\xbb\x0a\x00\x00\x02"}}, 8},
		{"socks4a", []step{{o, "\x04\x01\x01\xbb\x00\x00\x00\x01\x00login.example\x00"}, {r, "\x00\x5a\x00\x00\x00\x00\x00\x00"}}, 8},
		{"socks4 rejected", []step{{o, "\x04\x01\x01\xbb\x0a\x00\x00\x02\x00"}, {r, "\x00\x5b\x00\x00\x00\x00\x00\x00"}}, -1},
		{"not socks", []step{{o, "GET / HTTP/1.1\r\n\r\n"}, {r, "\x05\x00"}}, -1},
	} {
		a, got := run(c.steps)
		if got != c.want {
			t.Errorf("%s: consumed %d, want %d", c.name, got, c.want)
		}
		if c.want >= 0 && a.Service() != "socks" {
			t.Errorf("%s: service %q", c.name, a.Service())
		}
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		dir   proto.Direction
		first string
		want  proto.Confidence
	}{
		{proto.FromOrig, "\x05\x01\x00", proto.Likely},
		{proto.FromOrig, "\x05\x02\x00\x02", proto.Likely},
		{proto.FromOrig, "\x05\x01\x00\x00", proto.No}, // more than the greeting
		{proto.FromOrig, "\x04\x01\x01\xbb\x0a\x00\x00\x02user\x00", proto.Likely},
		{proto.FromOrig, "\x04\x01\x01\xbb\x0a\x00\x00\x02user", proto.No},
		{proto.FromOrig, "\x16\x03\x01\x00\x05", proto.No},
		{proto.FromResp, "\x05\x00", proto.Maybe},
		{proto.FromResp, "\x00\x5a\x01\xbb\x0a\x00\x00\x02", proto.Maybe},
	} {
		if got := Detect(c.dir, []byte(c.first), 1080, 6); got != c.want {
			t.Errorf("Detect(%d, %q) = %d, want %d", c.dir, c.first, got, c.want)
		}
	}
}

// FuzzData: hostile bytes give no panic and bounded buffers.
func FuzzData(f *testing.F) {
	f.Add([]byte("\x05\x01\x00"), []byte("\x05\x00"), []byte("\x05\x01\x00\x03\x0bexample.com\x01\xbb"))
	f.Add([]byte("\x04\x01\x01\xbb\x00\x00\x00\x01\x00"), []byte("\x00\x5a"), []byte("host\x00"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		an := New(nil, nil)
		for i, d := range [][]byte{a, b, c} {
			an.Data(proto.Direction(i&1), 0, d)
			an.Upgrade()
			if len(an.buf[0]) > maxMsg || len(an.buf[1]) > maxMsg {
				t.Fatal("buffer past maxMsg")
			}
		}
	})
}
