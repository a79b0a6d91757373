package decode

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestDumpCapture prints one line per decoded packet of the capture named by
// VIGIL_DECODE_DUMP (a debugging aid; skipped otherwise).
func TestDumpCapture(t *testing.T) {
	path := os.Getenv("VIGIL_DECODE_DUMP")
	if path == "" {
		t.Skip("set VIGIL_DECODE_DUMP=capture to dump it")
	}
	frames, err := readCapture(path)
	if err != nil {
		t.Logf("read: %v", err)
	}
	d := NewDecoder(DefaultConfig())
	var p Packet
	for i, f := range frames {
		d.Decode(f.data, f.link, f.ts, f.wire, &p)
		fmt.Println(summary(i+1, f.link, &p))
	}
}

func summary(n int, link LinkType, p *Packet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d link=%d cap=%d", n, link, p.CapLen)
	if p.NumVLANs > 0 {
		fmt.Fprintf(&b, " vlan=%v", p.VLANs[:p.NumVLANs])
	}
	if p.NumMPLS > 0 {
		fmt.Fprintf(&b, " mpls=%d", p.NumMPLS)
	}
	fmt.Fprintf(&b, " et=%#04x", p.EtherType)
	for i := 0; i < int(p.NumTunnels); i++ {
		o := &p.Tunnels[i].Outer
		fmt.Fprintf(&b, " [%v %v:%d>%v:%d/%d]", p.Tunnels[i].Kind, o.Src, o.SrcPort, o.Dst, o.DstPort, o.Proto)
	}
	ip := &p.IP
	if ip.Version != 0 {
		fmt.Fprintf(&b, " ip%d %v:%d>%v:%d proto=%d len=%d hl=%d l4=%v l4len=%d pay=%d", ip.Version, ip.Src, ip.SrcPort, ip.Dst, ip.DstPort, ip.Proto, ip.IPLen, ip.HeaderLen, ip.HasL4, ip.L4Len, len(p.Payload))
		if ip.Proto == ProtoTCP {
			fmt.Fprintf(&b, " flags=%#02x", ip.TCPFlags)
		}
		if ip.Proto == ProtoICMP || ip.Proto == ProtoICMPv6 {
			fmt.Fprintf(&b, " icmp=%d/%d id=%d", ip.ICMPType, ip.ICMPCode, ip.ICMPID)
		}
		if !TransportChecksumOK(p) {
			b.WriteString(" BADSUM")
		}
	}
	if p.Frag.IsFragment {
		fmt.Fprintf(&b, " frag=%+v", p.Frag)
	}
	if p.IsARP {
		fmt.Fprintf(&b, " arp op=%d %v>%v", p.ARP.Op, p.ARP.SenderIP, p.ARP.TargetIP)
	}
	if p.Truncated {
		b.WriteString(" TRUNC")
	}
	for i := 0; i < int(p.NumAnomalies); i++ {
		fmt.Fprintf(&b, " !%v(%#x)", p.Anomalies[i].Kind, p.Anomalies[i].Detail)
	}
	return b.String()
}

// TestCorpusTop lists, per anomaly kind (and for bad transport checksums),
// the corpus files with the most occurrences and sample details (a
// debugging aid; set VIGIL_DECODE_TOP=1).
func TestCorpusTop(t *testing.T) {
	if os.Getenv("VIGIL_DECODE_TOP") == "" {
		t.Skip("set VIGIL_DECODE_TOP=1")
	}
	root := testcorpus.Require(t)
	d := NewDecoder(DefaultConfig())
	var p Packet
	type fileCount struct {
		n       int
		details map[uint32]int
	}
	top := map[string]map[string]*fileCount{}
	add := func(kind, file string, detail uint32) {
		m := top[kind]
		if m == nil {
			m = map[string]*fileCount{}
			top[kind] = m
		}
		fc := m[file]
		if fc == nil {
			fc = &fileCount{details: map[uint32]int{}}
			m[file] = fc
		}
		fc.n++
		fc.details[detail]++
	}
	for _, path := range testcorpus.Captures(t, root) {
		rel, _ := filepath.Rel(root, path)
		frames, _ := readCapture(path)
		for _, f := range frames {
			d.Decode(f.data, f.link, 0, 0, &p)
			for i := 0; i < int(p.NumAnomalies); i++ {
				add(p.Anomalies[i].Kind.String(), rel, p.Anomalies[i].Detail)
			}
			if !TransportChecksumOK(&p) {
				add("BADSUM", rel, uint32(p.IP.Proto))
			}
		}
	}
	kinds := make([]string, 0, len(top))
	for k := range top {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		files := make([]string, 0, len(top[k]))
		for f := range top[k] {
			files = append(files, f)
		}
		sort.Slice(files, func(i, j int) bool { return top[k][files[i]].n > top[k][files[j]].n })
		fmt.Printf("== %s (%d files)\n", k, len(files))
		for _, f := range files[:min(len(files), 8)] {
			fmt.Printf("   %6d %s %v\n", top[k][f].n, f, top[k][f].details)
		}
	}
}
