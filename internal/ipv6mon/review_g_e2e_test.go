package ipv6mon_test

// Review G (IPv6 specialist): end-to-end failing tests. Each crafts a
// small Ethernet pcap in code, runs the analysis pipeline with the IPv6
// monitor attached (analyse, corpus_test.go) and checks what it reports.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/ipv6mon"
)

const (
	gRouterMAC = "02:00:00:00:00:01"
	gRouterLL  = "fe80::1"
	gAtkMAC    = "02:00:00:00:0b:ad"
	gAtkLL     = "fe80::bad"
	gPrefix    = "2001:db8:1::"
	gBadPrefix = "2001:db8:bad::"
)

type gPkt struct {
	ts    float64
	frame []byte
}

func gMAC(s string) []byte {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func gAddr(s string) [16]byte { return netip.MustParseAddr(s).As16() }

// gEth wraps an IPv6 datagram in Ethernet.
func gEth(dst, src string, ip []byte) []byte {
	b := append(append(append([]byte{}, gMAC(dst)...), gMAC(src)...), 0x86, 0xdd)
	return append(b, ip...)
}

// gIPv6 builds an IPv6 header + payload (payload length from payload).
func gIPv6(src, dst string, nh, hlim byte, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = nh, hlim
	s, d := gAddr(src), gAddr(dst)
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// gCsum computes an upper-layer checksum with the IPv6 pseudo-header.
func gCsum(src, dst string, proto byte, msg []byte) uint16 {
	s, d := gAddr(src), gAddr(dst)
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(s[:])
	add(d[:])
	var l [8]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(msg)))
	l[7] = proto
	add(l[:])
	add(msg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// gRA builds an ICMPv6 router advertisement (checksum set for src→dst).
func gRA(src, dst, mac, prefix string, lifetime uint16, prf byte) []byte {
	m := make([]byte, 16)
	m[0] = 134
	m[4] = 64
	m[5] = prf << 3
	binary.BigEndian.PutUint16(m[6:], lifetime)
	m = append(m, 1, 1)
	m = append(m, gMAC(mac)...)
	pi := make([]byte, 32)
	pi[0], pi[1], pi[2], pi[3] = 3, 4, 64, 0xc0
	binary.BigEndian.PutUint32(pi[4:], 86400)
	binary.BigEndian.PutUint32(pi[8:], 14400)
	p := gAddr(prefix)
	copy(pi[16:], p[:])
	m = append(m, pi...)
	binary.BigEndian.PutUint16(m[2:], gCsum(src, dst, 58, m))
	return m
}

// gDstOpts builds a destination-options header of 8*(n+1) bytes, all
// PadN with zero bytes, whose next header is nh.
func gDstOpts(nh byte, n int) []byte {
	h := make([]byte, 8*(n+1))
	h[0], h[1] = nh, byte(n)
	rest := h[2:]
	for len(rest) > 0 {
		if len(rest) == 1 {
			rest[0] = 0 // Pad1
			break
		}
		l := min(len(rest)-2, 255)
		rest[0], rest[1] = 1, byte(l) // PadN
		rest = rest[2+l:]
	}
	return h
}

// gFrag builds a fragment header.
func gFrag(nh byte, off int, more bool, id uint32) []byte {
	h := make([]byte, 8)
	h[0] = nh
	fo := uint16(off/8) << 3
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(h[2:], fo)
	binary.BigEndian.PutUint32(h[4:], id)
	return h
}

// gLegitRouter: the legitimate router advertising every 30 s from t0.
func gLegitRouter(t0, t1 float64) []gPkt {
	var out []gPkt
	for ts := t0; ts <= t1; ts += 30 {
		out = append(out, gPkt{ts, gEth("33:33:00:00:00:01", gRouterMAC,
			gIPv6(gRouterLL, "ff02::1", 58, 255, gRA(gRouterLL, "ff02::1", gRouterMAC, gPrefix, 1800, 0)))})
	}
	return out
}

// gRun writes pkts (in time order) to a pcap, analyses it with the
// monitor and returns the monitor and the output directory.
func gRun(t *testing.T, pkts []gPkt) (*ipv6mon.Monitor, string) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		for j := i; j > 0 && pkts[j].ts < pkts[j-1].ts; j-- {
			pkts[j], pkts[j-1] = pkts[j-1], pkts[j]
		}
	}
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, decode.LinkEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	const base = 1.7e9
	for _, p := range pkts {
		if err := w.WritePacket(int64((base+p.ts)*1e9), p.frame, len(p.frame)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "g.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	mon := ipv6mon.New(ipv6mon.DefaultConfig(), nil)
	acfg := analyze.DefaultConfig()
	acfg.Workers = 1
	acfg.OutDir = t.TempDir()
	acfg.Consumers = []analyze.Consumer{mon}
	if _, err := analyze.Run(context.Background(), acfg, []string{path}); err != nil {
		t.Fatal(err)
	}
	if err := mon.Close(); err != nil {
		t.Fatal(err)
	}
	if err := mon.WriteLog(acfg.OutDir); err != nil {
		t.Fatal(err)
	}
	return mon, acfg.OutDir
}

func gFindings(mon *ipv6mon.Monitor, class string) []ipv6mon.Finding {
	var out []ipv6mon.Finding
	for _, f := range mon.Findings() {
		if f.Class == class {
			out = append(out, f)
		}
	}
	return out
}

func gDump(mon *ipv6mon.Monitor) string {
	var s []string
	for _, f := range mon.Findings() {
		s = append(s, f.Class+": "+f.Summary)
	}
	return strings.Join(s, "\n\t")
}

// TestReviewGRAGuardEvasionFlagged: the classic RA-Guard evasions of
// RFC 7113 §2 / THC fake_router26 -E and Chiron: a rogue RA behind a
// destination-options header, and one behind a destination-options
// header stuffed with 1 KB of padding (what fake_router26 -E D uses to
// push the ICMPv6 header out of the first fragment; RFC 8504 §5.3 and
// Linux drop more than 7 bytes of padding). The RA is decoded through the
// header (rogue_ra is raised), but nothing says the RA came wrapped in an
// extension header — no legitimate router sends one — nor that 1 KB of
// padding was sent: onExt only looks at unknown options, non-zero
// padding, chain length and RH0, never at opt_bytes nor at the upper
// layer being neighbour discovery.
func TestReviewGRAGuardEvasionFlagged(t *testing.T) {
	cases := []struct {
		name string
		n    int // destination-options length in 8-byte units minus 1
	}{
		{"RA behind a destination-options header", 0},
		{"RA behind 1 KB of PadN", 127},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkts := gLegitRouter(0, 400)
			ra := gRA(gAtkLL, "ff02::1", gAtkMAC, gBadPrefix, 1800, 1)
			payload := append(gDstOpts(58, c.n), ra...)
			for i := 0; i < 3; i++ {
				pkts = append(pkts, gPkt{300 + float64(i), gEth("33:33:00:00:00:01", gAtkMAC, gIPv6(gAtkLL, "ff02::1", 60, 255, payload))})
			}
			mon, _ := gRun(t, pkts)
			if len(gFindings(mon, "ipv6.rogue_ra")) == 0 {
				t.Errorf("rogue RA behind the header not decoded: %s", gDump(mon))
			}
			if len(gFindings(mon, "ipv6.evasion")) == 0 {
				t.Errorf("RA-Guard evasion (RA behind a destination-options header, %d bytes) not flagged as ipv6.evasion; raised:\n\t%s", 8*(c.n+1), gDump(mon))
			}
		})
	}
}

// TestReviewGFragmentedRA: the RFC 6980/7112 RA-Guard evasion: a rogue
// RA in two fragments, the first holding only a destination-options
// header (the header chain split, so an RA-Guard looking at the first
// fragment sees no ICMPv6). The pipeline does decode the RA after
// reassembly (rogue_ra) and writes both weirds to weird.log
// (ipv6_header_chain_not_in_first_fragment, then ndp_in_fragment), but
// the monitor reports ipv6.evasion once per class|src|dst: the
// ndp_in_fragment finding — the one that says hosts must drop this RA
// and that it is an RA-Guard bypass — is swallowed by the header-chain
// finding raised a millisecond earlier.
func TestReviewGFragmentedRA(t *testing.T) {
	pkts := gLegitRouter(0, 400)
	ra := gRA(gAtkLL, "ff02::1", gAtkMAC, gBadPrefix, 1800, 1)
	frag := append(gDstOpts(58, 1), ra...) // 16-byte DstOpts + RA
	first := append(gFrag(60, 0, true, 0x1234), frag[:16]...)
	second := append(gFrag(60, 16, false, 0x1234), frag[16:]...)
	pkts = append(pkts,
		gPkt{300, gEth("33:33:00:00:00:01", gAtkMAC, gIPv6(gAtkLL, "ff02::1", 44, 255, first))},
		gPkt{300.001, gEth("33:33:00:00:00:01", gAtkMAC, gIPv6(gAtkLL, "ff02::1", 44, 255, second))})
	mon, dir := gRun(t, pkts)
	weird, _ := os.ReadFile(filepath.Join(dir, "weird.log"))
	if !bytes.Contains(weird, []byte("ndp_in_fragment")) {
		t.Fatalf("no ndp_in_fragment weird: %s", weird)
	}
	ev := gFindings(mon, "ipv6.evasion")
	if len(ev) == 0 {
		t.Fatalf("fragmented RA with a split header chain not flagged: %s", gDump(mon))
	}
	ndp := false
	for _, f := range ev {
		ndp = ndp || f.Evidence["weird"] == "ndp_in_fragment"
	}
	if !ndp {
		t.Errorf("the fragmented RA is flagged only as %q, never as neighbour discovery in a fragment (RFC 6980), the RA-Guard evasion it is:\n\t%s", ev[0].Evidence["weird"], gDump(mon))
	}
}

// TestReviewGPlainUDP3544NotTeredo: any UDP datagram to port 3544 is
// reported as a Teredo tunnel (noteTunnel: RespP == 3544 && UDP), with
// confidence 0.9, even when the payload is not IPv6 at all (a game, a
// custom protocol, a scan). Teredo needs an IPv6 header (optionally after
// the authentication / origin indication headers, RFC 4380 §5.1.1); the
// decoder already knows whether it found one.
func TestReviewGPlainUDP3544NotTeredo(t *testing.T) {
	var pkts []gPkt
	for i := 0; i < 4; i++ {
		payload := []byte("HELLO this is not teredo, just an app on udp/3544 .........")
		udp := make([]byte, 8)
		binary.BigEndian.PutUint16(udp[0:], 40000)
		binary.BigEndian.PutUint16(udp[2:], 3544)
		binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
		udp = append(udp, payload...)
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		copy(ip[12:], []byte{192, 0, 2, 10})
		copy(ip[16:], []byte{198, 51, 100, 20})
		var s uint32
		for k := 0; k < 20; k += 2 {
			s += uint32(ip[k])<<8 | uint32(ip[k+1])
		}
		for s > 0xffff {
			s = s>>16 + s&0xffff
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(s))
		frame := append(append(append([]byte{}, gMAC("02:00:00:00:00:02")...), gMAC(gRouterMAC)...), 0x08, 0x00)
		pkts = append(pkts, gPkt{float64(i), append(frame, append(ip, udp...)...)})
	}
	mon, _ := gRun(t, pkts)
	for _, f := range gFindings(mon, "ipv6.tunnel") {
		t.Errorf("non-IPv6 UDP/3544 reported as an IPv6 tunnel: %s (confidence %.1f)", f.Summary, f.Confidence)
	}
}

// TestReviewGRemoteAddressesNotRouterHost: the posture builds hosts from
// conn.log's l2 addresses. For a routed IPv6 connection the responder's
// l2 address is the router's MAC, so every remote Internet address a host
// talks to is listed in ipv6.log as an address of the router's host (and
// counted in address_kinds). In the lab captures the router host "owns"
// the outside server 2001:db8:ff::10. An IPv6 posture that says the
// router has every Internet server's address is wrong.
func TestReviewGRemoteAddressesNotRouterHost(t *testing.T) {
	const host, hostMAC = "2001:db8:1::10", "02:00:00:00:00:10"
	const remote = "2001:db8:ff::80"
	pkts := gLegitRouter(0, 60)
	for i := 0; i < 3; i++ {
		// ICMPv6 echo request/reply host ↔ remote, through the router.
		req := make([]byte, 16)
		req[0] = 128
		binary.BigEndian.PutUint16(req[4:], 7)
		binary.BigEndian.PutUint16(req[6:], uint16(i))
		binary.BigEndian.PutUint16(req[2:], gCsum(host, remote, 58, req))
		rep := append([]byte{}, req...)
		rep[0], rep[2], rep[3] = 129, 0, 0
		binary.BigEndian.PutUint16(rep[2:], gCsum(remote, host, 58, rep))
		ts := 10 + float64(i)
		pkts = append(pkts,
			gPkt{ts, gEth(gRouterMAC, hostMAC, gIPv6(host, remote, 58, 64, req))},
			gPkt{ts + 0.02, gEth(hostMAC, gRouterMAC, gIPv6(remote, host, 58, 60, rep))})
	}
	_, dir := gRun(t, pkts)
	data, err := os.ReadFile(filepath.Join(dir, "ipv6.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var h struct {
			Kind      string            `json:"kind"`
			MAC       string            `json:"mac"`
			Addresses map[string]string `json:"addresses"`
		}
		if json.Unmarshal(line, &h) != nil || h.Kind != "host" {
			continue
		}
		if _, ok := h.Addresses[remote]; ok && h.MAC == gRouterMAC {
			t.Errorf("remote server %s listed as an address of the router's host %s: %s", remote, gRouterMAC, line)
		}
	}
}

// TestReviewGAtomicFragmentRA: RFC 7113 §2's first RA-Guard evasion
// (fake_router26 -E 1): the RA behind an atomic fragment header. The
// decoder sees it and adds atomic_fragment then ndp_in_fragment; with
// the once-per-class|src|dst rule only the atomic fragment is alerted,
// at severity 3 and confidence 0.5 ("alone they are only a hint"): the
// RA-Guard bypass, which hosts must drop (RFC 6980), is never said.
func TestReviewGAtomicFragmentRA(t *testing.T) {
	pkts := gLegitRouter(0, 400)
	ra := gRA(gAtkLL, "ff02::1", gAtkMAC, gBadPrefix, 1800, 1)
	payload := append(gFrag(58, 0, false, 0x4242), ra...)
	pkts = append(pkts, gPkt{300, gEth("33:33:00:00:00:01", gAtkMAC, gIPv6(gAtkLL, "ff02::1", 44, 255, payload))})
	mon, _ := gRun(t, pkts)
	for _, f := range gFindings(mon, "ipv6.evasion") {
		if f.Evidence["weird"] == "ndp_in_fragment" && f.Severity <= 2 {
			return
		}
	}
	t.Errorf("RA in an atomic fragment (RA-Guard evasion) not reported as NDP in a fragment; raised:\n\t%s", gDump(mon))
}
