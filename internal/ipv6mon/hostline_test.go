package ipv6mon

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"net/netip"
	"testing"
)

// appendLine must write what json.Encoder writes for hostLine.
func TestHostLineMatchesJSON(t *testing.T) {
	macs := []string{"", "00:11:22:33:44:55", "a<b>&c", "q\"\\", "\x01\x7f", "é", "\xff\xfe", "\u2028"}
	addrs := []string{"fe80::1", "fe80::1%eth0", "fe80::1%a<b", "2001:db8::2", "::ffff:10.0.0.1", "10.0.0.1", "2001:db8::10", "ff02::1"}
	kinds := []string{kindLinkLocal, kindEUI64, kindRandom, "a&b", "\x00"}
	times := []float64{0, 1, -1, 1.5e-7, 1e21, 1e20, 1700000000.123456, 123456789.000001, math.NaN(), math.Inf(1), 5e-324, math.MaxFloat64}
	r := rand.New(rand.NewSource(1))
	var w hostLines
	var got []byte
	for n := 0; n < 2000; n++ {
		h := &host{MAC: macs[r.Intn(len(macs))], LeaksMAC: r.Intn(2) == 0,
			FirstSeen: times[r.Intn(len(times))], LastSeen: times[r.Intn(len(times))], kinds: map[netip.Addr]string{}}
		for i := r.Intn(5); i > 0; i-- {
			h.kinds[netip.MustParseAddr(addrs[r.Intn(len(addrs))])] = kinds[r.Intn(len(kinds))]
		}
		var want bytes.Buffer
		err := json.NewEncoder(&want).Encode(h.line())
		var ok bool
		got, ok = w.appendLine(got[:0], h)
		if ok != (err == nil) || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("host %+v:\n got %q (%v)\nwant %q (%v)", h, got, ok, want.Bytes(), err)
		}
	}
}
