package decode

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

type corpusStats struct {
	files, unreadable, stoppedEarly int
	packets, withIP, arp, truncated int
	badChecksum                     int
	tunnels                         [16]int
	fragments, reassembled          int
	anomalies                       [anomalyKindCount]int
	links                           map[LinkType]int
	// per file (relative path): tunnel kinds seen
	fileTunnels map[string]map[TunnelKind]int
	fileDepth   map[string]int
}

// TestCorpus decodes every packet of every capture in ../shared/corpus and
// spot-checks known captures.
func TestCorpus(t *testing.T) {
	testcorpus.Require(t, "zeek", "testing", "btest", "Traces")
	root := testcorpus.Dir()
	d := NewDecoder(DefaultConfig())
	st := corpusStats{links: map[LinkType]int{}, fileTunnels: map[string]map[TunnelKind]int{}, fileDepth: map[string]int{}}
	var p Packet
	var ms0, ms1 runtime.MemStats
	var decodeMallocs uint64
	for _, path := range testcorpus.Captures(t, root) {
		rel, _ := filepath.Rel(root, path)
		frames, err := readCapture(path)
		if len(frames) == 0 && err != nil {
			st.unreadable++
			continue
		}
		st.files++
		if err != nil {
			st.stoppedEarly++
		}
		ft := map[TunnelKind]int{}
		runtime.ReadMemStats(&ms0)
		for i := range frames {
			f := &frames[i]
			d.Decode(f.data, f.link, f.ts, f.wire, &p)
			st.packets++
			st.links[f.link]++
			if p.IP.Version != 0 {
				st.withIP++
			}
			if p.IsARP {
				st.arp++
			}
			if p.Truncated {
				st.truncated++
			}
			if !TransportChecksumOK(&p) {
				st.badChecksum++
			}
			for j := 0; j < int(p.NumTunnels); j++ {
				st.tunnels[p.Tunnels[j].Kind]++
				ft[p.Tunnels[j].Kind]++
			}
			for j := 0; j < int(p.NumAnomalies); j++ {
				st.anomalies[p.Anomalies[j].Kind]++
			}
		}
		runtime.ReadMemStats(&ms1)
		decodeMallocs += ms1.Mallocs - ms0.Mallocs - uint64(len(ft)) // ft's own entries
		// Invariants, and reassembly of simple fragment series through
		// DecodeIP (a second pass, outside the allocation count).
		var ra testReassembler
		depth := 0
		for i := range frames {
			d.Decode(frames[i].data, frames[i].link, 0, 0, &p)
			checkInvariants(t, &p, frames[i].data)
			if p.Frag.IsFragment {
				st.fragments++
				n0 := p.NumTunnels
				if dg := ra.add(&p); dg != nil {
					st.reassembled++
					d.DecodeIP(dg, &p)
					checkInvariants(t, &p, dg)
					if p.NumTunnels < n0 || p.Frag.IsFragment && p.NumTunnels == n0 {
						t.Errorf("%s: frame %d: reassembled datagram still a fragment or lost tunnels", rel, i+1)
					}
					for j := int(n0); j < int(p.NumTunnels); j++ {
						st.tunnels[p.Tunnels[j].Kind]++
						ft[p.Tunnels[j].Kind]++
					}
				}
			}
			depth = max(depth, int(p.NumTunnels))
		}
		st.fileTunnels[filepath.ToSlash(rel)] = ft
		st.fileDepth[filepath.ToSlash(rel)] = depth
	}
	if st.packets == 0 {
		t.Fatal("no packets decoded")
	}

	t.Logf("files %d (unreadable %d, read partly %d), packets %d, with IP %d (%.1f%%), ARP %d, truncated %d, bad transport checksums %d, fragments %d (datagrams reassembled by the test and re-decoded %d), mallocs during decode %d",
		st.files, st.unreadable, st.stoppedEarly, st.packets, st.withIP, 100*float64(st.withIP)/float64(st.packets),
		st.arp, st.truncated, st.badChecksum, st.fragments, st.reassembled, decodeMallocs)
	var tl []string
	for k, n := range st.tunnels {
		if n > 0 {
			tl = append(tl, fmt.Sprintf("%v=%d", TunnelKind(k), n))
		}
	}
	t.Logf("tunnels: %s", strings.Join(tl, " "))
	var al []string
	for k, n := range st.anomalies {
		if n > 0 {
			al = append(al, fmt.Sprintf("%v=%d", AnomalyKind(k), n))
		}
	}
	t.Logf("anomalies: %s", strings.Join(al, " "))
	var ll []string
	for l, n := range st.links {
		ll = append(ll, fmt.Sprintf("%d=%d", l, n))
	}
	slices.Sort(ll)
	t.Logf("link types: %s", strings.Join(ll, " "))

	// Decoding allocates nothing (a little slack for the runtime).
	if decodeMallocs > 100 {
		t.Errorf("%d mallocs while decoding the corpus", decodeMallocs)
	}

	// Spot checks: captures whose tunnels are known.
	tr := "zeek/testing/btest/Traces/"
	expect := map[string][]TunnelKind{
		"tunnels/4in4.pcap":                                  {TunnelIP},
		"tunnels/4in6.pcap":                                  {TunnelIP},
		"tunnels/6in4.pcap":                                  {TunnelIP},
		"tunnels/6in6.pcap":                                  {TunnelIP},
		"tunnels/6in6in6.pcap":                               {TunnelIP},
		"tunnels/6in6-tunnel-change.pcap":                    {TunnelIP},
		"tunnels/ping6-in-ipv4.pcap":                         {TunnelIP},
		"tunnels/Teredo.pcap":                                {TunnelTeredo},
		"tunnels/teredo_bubble_with_payload.pcap":            {TunnelTeredo},
		"tunnels/geneve.pcap":                                {TunnelGeneve},
		"tunnels/geneve-ipv6.pcap":                           {TunnelGeneve},
		"tunnels/geneve-many-options.pcap":                   {TunnelGeneve},
		"tunnels/geneve-arp.pcap":                            {TunnelGeneve},
		"tunnels/vxlan.pcap":                                 {TunnelVXLAN},
		"tunnels/vxlan-encapsulated-http.pcap":               {TunnelVXLAN},
		"tunnels/vxlan-encapsulated-igmp-v2.pcap":            {TunnelVXLAN},
		"tunnels/gre-sample.pcap":                            {TunnelGRE},
		"tunnels/gre-within-gre.pcap":                        {TunnelGRE},
		"tunnels/gre-pptp.pcap":                              {TunnelGRE},
		"tunnels/gre-erspan3-dot1q.pcap":                     {TunnelERSPAN},
		"erspan.pcap":                                        {TunnelGRE}, // GRE transparent Ethernet bridging
		"erspanI.pcap":                                       {TunnelERSPAN},
		"erspanII.pcap":                                      {TunnelERSPAN},
		"erspanIII.pcap":                                     {TunnelERSPAN},
		"tunnels/gtp/gtp7_ipv6.pcap":                         {TunnelGTPU},
		"tunnels/gtp/gtp_ext_header.pcap":                    {TunnelGTPU},
		"tunnels/gtp/gtp6_gtp_0x32.pcap":                     {TunnelGTPU},
		"tunnels/gtp/gtp8_teredo.pcap":                       {TunnelGTPU, TunnelTeredo},
		"tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap": {TunnelGTPU},
		"tunnels/gre-over-udp-4754.pcap":                     {TunnelGRE},
		"tunnels/ayiya3.pcap":                                {TunnelAYIYA},
		"tunnels/ayiya-large-identity.pcap":                  {TunnelAYIYA},
	}
	for f, kinds := range expect {
		ft, ok := st.fileTunnels[tr+f]
		if !ok {
			t.Errorf("%s: not read", f)
			continue
		}
		for _, k := range kinds {
			if ft[k] == 0 {
				t.Errorf("%s: no %v tunnel (saw %v)", f, k, ft)
			}
		}
	}
	for f, want := range map[string]int{
		"tunnels/6in6in6.pcap":                  2,
		"tunnels/gre-within-gre.pcap":           2,
		"tunnels/vxlan-triple-v2.pcap":          3,
		"tunnels/gtp/gtp8_teredo.pcap":          2,
		"tunnels/gtp/gtp4_udp_2152_inside.pcap": 1,
	} {
		if got := st.fileDepth[tr+f]; got != want {
			t.Errorf("%s: tunnel depth %d, want %d", f, got, want)
		}
	}
	// Captures that must not yield a tunnel.
	for _, f := range []string{"tunnels/gtp/gtp3_false_gtp.pcap", "tunnels/gtp/gtp10_not_0xff.pcap", "http/get.trace"} {
		if ft, ok := st.fileTunnels[tr+f]; ok && len(ft) > 0 {
			t.Errorf("%s: unexpected tunnels %v", f, ft)
		}
	}
	if testing.Verbose() {
		var names []string
		for f, ft := range st.fileTunnels {
			if strings.Contains(f, "tunnels/") || len(ft) > 0 {
				names = append(names, fmt.Sprintf("%s %v", f, ft))
			}
		}
		slices.Sort(names)
		for _, n := range names {
			t.Log(n)
		}
	}
}

// decodeGeneral is Decode without the fast path: every frame goes through
// the general walker.
func decodeGeneral(d *Decoder, data []byte, link LinkType, ts int64, wireLen int, p *Packet) {
	p.Reset()
	p.TS = ts
	p.WireLen = wireLen
	p.CapLen = len(data)
	w := walker{d: d, p: p}
	w.general(data, link)
}

// packetDiff describes how a and b differ, or returns "" when they are the
// same: every field equal and every slice the same bytes of the frame
// (same start, length and capacity), not only equal contents.
func packetDiff(a, b *Packet) string {
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("\n fast    %+v\n general %+v", *a, *b)
	}
	same := func(x, y []byte) bool {
		return len(x) == len(y) && cap(x) == cap(y) && unsafe.SliceData(x) == unsafe.SliceData(y)
	}
	if !same(a.IPRaw, b.IPRaw) || !same(a.Payload, b.Payload) {
		return "IPRaw or Payload points elsewhere"
	}
	for i := range a.Tunnels {
		if !same(a.Tunnels[i].OuterRaw, b.Tunnels[i].OuterRaw) {
			return fmt.Sprintf("Tunnels[%d].OuterRaw points elsewhere", i)
		}
	}
	return ""
}

// fastMatchesGeneral decodes data with Decode and with the general walker,
// each into a fresh Packet, and returns how the results differ ("" when
// they do not).
func fastMatchesGeneral(d *Decoder, data []byte, link LinkType) string {
	var fast, general Packet
	d.Decode(data, link, 1, len(data)+3, &fast)
	decodeGeneral(d, data, link, 1, len(data)+3, &general)
	return packetDiff(&fast, &general)
}

// mutations calls f with data, every prefix of data up to its first 100
// bytes, and copies of data with one byte of its first 80 changed.
func mutations(data []byte, f func([]byte)) {
	f(data)
	for n := 0; n < len(data) && n <= 100; n++ {
		f(data[:n])
	}
	m := make([]byte, len(data))
	for i := 0; i < len(data) && i < 80; i++ {
		for _, x := range []byte{0x01, 0x40, 0xff} {
			copy(m, data)
			m[i] ^= x
			f(m)
		}
	}
}

// TestFastPathMatchesWalker checks that Decode's fast path gives the same
// Packet as the general walker: on the table-test frames and on every
// corpus frame, each also cut short at every length and with single bytes
// changed (for the first frame of each capture), under several configs
// (the other corpus frames under the default one).
func TestFastPathMatchesWalker(t *testing.T) {
	small := DefaultConfig()
	small.MaxExtHeaders = 2
	noTunnels := DefaultConfig()
	noTunnels.DecodeTunnels = false
	noDetect := DefaultConfig()
	noDetect.NoTunnelDetection = true
	decoders := []*Decoder{NewDecoder(DefaultConfig()), NewDecoder(small), NewDecoder(noTunnels), NewDecoder(noDetect)}
	var frames, fast int
	check := func(name string, data []byte, link LinkType, decoders []*Decoder) {
		for _, d := range decoders {
			frames++
			if link == LinkEthernet {
				var p Packet
				if d.plainEther(data, &p) {
					fast++
				}
			}
			if diff := fastMatchesGeneral(d, data, link); diff != "" {
				t.Fatalf("%s (% x): %s", name, data, diff)
			}
		}
	}
	for _, tc := range decodeCases() {
		mutations(tc.data, func(b []byte) { check(tc.name, b, tc.link, decoders) })
	}
	if root := testcorpus.Dir(); root != "" && !testing.Short() {
		for _, path := range testcorpus.Captures(t, root) {
			rel, _ := filepath.Rel(root, path)
			capFrames, _ := readCapture(path)
			for i, f := range capFrames {
				name := fmt.Sprintf("%s frame %d", rel, i+1)
				if i == 0 && f.link == LinkEthernet {
					mutations(f.data, func(b []byte) { check(name, b, f.link, decoders) })
				} else {
					check(name, f.data, f.link, decoders[:1])
				}
			}
		}
	}
	t.Logf("%d frames compared, %d through the fast path", frames, fast)
	if fast == 0 {
		t.Fatal("no frame took the fast path")
	}
}
