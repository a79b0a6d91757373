package ipv6mon

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"testing"
)

// FuzzHostLine holds appendLine to json.Encoder's output of hostLine for
// any MAC, zone, kind and times.
func FuzzHostLine(f *testing.F) {
	f.Add("00:11:22:33:44:55", "eth0", "link-local", "x", 1.5, 2.25, uint64(0), uint64(1), true)
	f.Add("a<b>&\u2028\u2029\xff", "a\"b\\", "\x00\x1f\x7f", "\xed\xa0\x80", math.Copysign(0, -1), 1e21, uint64(1<<63), uint64(12345), false)
	f.Add("", "", "", "", 1e-7, -1e300, uint64(0), uint64(0), false)
	f.Fuzz(func(t *testing.T, mac, zone, kind1, kind2 string, first, last float64, lo, hi uint64, leaks bool) {
		h := &host{MAC: mac, LeaksMAC: leaks, FirstSeen: first, LastSeen: last, kinds: map[netip.Addr]string{}}
		var b [16]byte
		for i := range 8 {
			b[i], b[8+i] = byte(hi>>(8*i)), byte(lo>>(8*i))
		}
		a := netip.AddrFrom16(b)
		h.kinds[a] = kind1
		if zone != "" {
			h.kinds[a.WithZone(zone)] = kind2
		}
		h.kinds[netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]})] = kind2
		h.kinds[netip.AddrFrom16(b).Next()] = kind1
		var want bytes.Buffer
		err := json.NewEncoder(&want).Encode(h.line())
		var w hostLines
		got, ok := w.appendLine(nil, h)
		if ok != (err == nil) || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("host %+v:\n got %q (%v)\nwant %q (%v)", h, got, ok, want.Bytes(), err)
		}
	})
}
