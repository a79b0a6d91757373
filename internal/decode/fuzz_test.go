package decode

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLinks maps FuzzDecode's first argument (modulo its length) to a link
// type, so that the fuzzer explores every link layer.
var fuzzLinks = []LinkType{
	LinkEthernet, LinkRaw, LinkNull, LinkLoop, LinkLinuxSLL, LinkLinuxSLL2, LinkIPv4, LinkIPv6,
	LinkRawAlt12, LinkRawAlt14, LinkNFLOG, LinkPPP, LinkPPPHDLC, LinkCHDLC, LinkFDDI,
	LinkIEEE80211, LinkRadiotap, 200,
}

func fuzzLinkIndex(l LinkType) int {
	for i, x := range fuzzLinks {
		if x == l {
			return i
		}
	}
	return len(fuzzLinks) - 1
}

var (
	fuzzDecoder      = NewDecoder(DefaultConfig())
	fuzzDecoderSmall = func() *Decoder {
		c := DefaultConfig()
		c.MaxExtHeaders = 2
		return NewDecoder(c)
	}()
	fuzzWarm = sampleVXLAN()
)

// FuzzDecode decodes arbitrary frames of every link type, and the same
// bytes as a reassembled IP datagram: no panic, the invariants of
// checkInvariants hold, and Decode's fast path agrees with the general
// walker. The seed corpus (testdata/fuzz/FuzzDecode) holds the table-test
// packets; regenerate it with VIGIL_WRITE_FUZZ_SEEDS=1.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, link byte, data []byte) {
		lt := fuzzLinks[int(link)%len(fuzzLinks)]
		var p Packet
		// Leave state behind first: Decode must reset it.
		fuzzDecoder.Decode(fuzzWarm, LinkEthernet, 0, 0, &p)
		fuzzDecoder.Decode(data, lt, 1, len(data), &p)
		checkInvariants(t, &p, data)
		TransportChecksumOK(&p)
		checkDatagramChecksum(t, &p.IP, p.IPRaw)
		if diff := fastMatchesGeneral(fuzzDecoder, data, lt); diff != "" {
			t.Fatalf("fast path and walker differ: %s", diff)
		}
		fuzzDecoderSmall.Decode(data, lt, 1, len(data), &p)
		checkInvariants(t, &p, data)
		n := p.NumTunnels
		fuzzDecoder.DecodeIP(data, &p)
		checkInvariants(t, &p, data)
		if p.NumTunnels < n {
			t.Fatalf("DecodeIP dropped tunnels")
		}
		TransportChecksumOK(&p)
		checkDatagramChecksum(t, &p.IP, p.IPRaw)
		fuzzDecoder.Decode(data, lt, 1, len(data), &p)
		checkSubframes(t, &p, data, lt)
	})
}

// checkSubframes decodes every A-MSDU subframe of data after the one p
// holds: each holds the invariants and starts further on than the one
// before, and they end within the frame.
func checkSubframes(t *testing.T, p *Packet, data []byte, lt LinkType) {
	t.Helper()
	for n := 0; ; n++ {
		at := p.NextSubframe
		if at < 0 || at > len(data) {
			t.Fatalf("NextSubframe %d outside a frame of %d bytes", at, len(data))
		}
		if !fuzzDecoder.DecodeNextSubframe(data, lt, p) {
			return
		}
		checkInvariants(t, p, data)
		if p.NextSubframe != 0 && p.NextSubframe <= at {
			t.Fatalf("a subframe at %d follows one at %d", p.NextSubframe, at)
		}
		if n > len(data)/14 {
			t.Fatalf("%d subframes in a frame of %d bytes", n, len(data))
		}
	}
}

func fuzzSeedFile(link byte, data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", link, data)
}

// TestFuzzSeeds checks that the seed corpus holds every table-test packet
// (and writes it when VIGIL_WRITE_FUZZ_SEEDS is set).
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	write := os.Getenv("VIGIL_WRITE_FUZZ_SEEDS") != ""
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range decodeCases() {
		name := "table-" + strings.NewReplacer("/", "-", "<", "lt", ">", "gt", " ", "-").Replace(tc.name)
		want := fuzzSeedFile(byte(fuzzLinkIndex(tc.link)), tc.data)
		path := filepath.Join(dir, name)
		if write {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("seed %s missing or stale (regenerate with VIGIL_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzSeeds)", path)
		}
	}
}
