package analyze

import (
	"encoding/binary"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// udpBadSum is a UDP datagram from src to dst:port whose (non-zero)
// checksum is wrong.
func udpBadSum(src, dst [4]byte, sport, dport uint16) []byte {
	b := ipv4UDP(src, dst, sport, dport, []byte("ping"))
	binary.BigEndian.PutUint16(b[26:], 0x1234)
	return b
}

// weirdLines reads weird.log as "name uid-or-none orig_h:orig_p -> resp_h:resp_p".
func weirdLines(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, w := range readLog(t, filepath.Join(dir, "weird.log")) {
		uid, ok := w["uid"].(string)
		if !ok {
			uid = "-"
		} else {
			uid = "C…" // a uid: its value depends on the run
		}
		out = append(out, w["name"].(string)+" "+uid+" "+w["id.orig_h"].(string)+":"+itoa(int(w["id.orig_p"].(float64)))+
			" -> "+w["id.resp_h"].(string)+":"+itoa(int(w["id.resp_p"].(float64))))
	}
	return out
}

// TestChecksumWeirds checks weird.log's checksum weirds as Zeek writes
// them: bad_UDP_checksum once per originator (Zeek's ACTION_LOG_PER_ORIG)
// with the connection's uid and id; bad_IP_checksum a flow weird (no
// uid, ports 0) whose packet makes no connection; and, with checksums
// ignored (-C), neither weird and every packet analysed. The same with
// one and with three workers.
func TestChecksumWeirds(t *testing.T) {
	a, b, srv := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, [4]byte{10, 0, 0, 9}
	badIP := ipv4UDP(b, srv, 5000, 53, []byte("ping"))
	badIP[10] ^= 0xff
	path := writeFrames(t,
		ethFrame(0x0800, udpBadSum(a, srv, 4000, 53)),
		ethFrame(0x0800, udpBadSum(a, srv, 4000, 53)), // the same connection again
		ethFrame(0x0800, udpBadSum(a, srv, 4001, 53)), // another one of the same originator
		ethFrame(0x0800, udpBadSum(b, srv, 4000, 53)), // another originator
		ethFrame(0x0800, badIP),
		ethFrame(0x0800, badIP),
	)
	for _, workers := range []int{1, 3} {
		cfg := DefaultConfig()
		cfg.Workers = workers
		sum, dir := runTo(t, cfg, path)
		want := []string{
			"bad_UDP_checksum C… 10.0.0.1:4000 -> 10.0.0.9:53",
			"bad_UDP_checksum C… 10.0.0.2:4000 -> 10.0.0.9:53",
			"bad_IP_checksum - 10.0.0.2:0 -> 10.0.0.9:0",
		}
		if got := weirdLines(t, dir); !slices.Equal(got, want) {
			t.Errorf("workers=%d: weirds\n%q\nwant\n%q", workers, got, want)
		}
		if sum.BadChecksums != 6 {
			t.Errorf("workers=%d: %d packets dropped for checksums, want 6", workers, sum.BadChecksums)
		}
		for _, c := range readLog(t, filepath.Join(dir, "conn.log")) {
			if c["id.orig_p"].(float64) == 5000 {
				t.Errorf("workers=%d: the packets with a bad IP checksum made a connection: %v", workers, c)
			}
		}
	}
	cfg := DefaultConfig()
	cfg.Flow.IgnoreChecksums = true
	sum, dir := runTo(t, cfg, path)
	if got := weirdLines(t, dir); len(got) != 0 {
		t.Errorf("-C: weirds %q, want none", got)
	}
	if conns := readLog(t, filepath.Join(dir, "conn.log")); len(conns) != 4 || sum.BadChecksums != 0 {
		t.Errorf("-C: %d connections and %d packets dropped, want 4 and 0", len(conns), sum.BadChecksums)
	}
}

// TestWeirdOfNoConnectionHasNoUID: a packet that makes no connection (an
// Ethernet frame cut short) has a weird without a uid.
func TestWeirdOfNoConnectionHasNoUID(t *testing.T) {
	_, dir := runTo(t, DefaultConfig(), writeFrames(t, make([]byte, 10)))
	weirds := readLog(t, filepath.Join(dir, "weird.log"))
	if len(weirds) != 1 || weirds[0]["name"] != "truncated_ethernet_frame" {
		t.Fatalf("weirds %v, want one truncated_ethernet_frame", weirds)
	}
	if uid, ok := weirds[0]["uid"]; ok {
		t.Errorf("weird of no connection has uid %v", uid)
	}
}

// shortRA is a router advertisement from fe80::1 that ends n bytes after
// its 8-byte ICMPv6 header (a whole one has 8 before its options), with
// a valid checksum.
func shortRA(n int) []byte {
	icmp := make([]byte, 8+n)
	icmp[0], icmp[4] = 134, 64
	ip := make([]byte, 40, 40+len(icmp))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(icmp)))
	ip[6], ip[7] = decode.ProtoICMPv6, 255
	ip[8], ip[9], ip[23] = 0xfe, 0x80, 1
	ip[24], ip[25], ip[39] = 0xff, 0x02, 1
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
	}
	add(ip[8:40])
	sum += uint32(len(icmp)) + decode.ProtoICMPv6
	add(icmp)
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(icmp[2:], ^uint16(sum))
	return append(ip, icmp...)
}

// TestShortNDMessageWeird: a router advertisement that ends before its
// options start is Zeek's icmp6_ra_bad_opt_offset, a weird of no
// connection with "8 (length N)", logged once in ten minutes; one that
// is just long enough is none.
func TestShortNDMessageWeird(t *testing.T) {
	path := writeFrames(t, ethFrame(0x86dd, shortRA(4)), ethFrame(0x86dd, shortRA(2)), ethFrame(0x86dd, shortRA(8)))
	for _, workers := range []int{1, 2} {
		cfg := DefaultConfig()
		cfg.Workers = workers
		_, dir := runTo(t, cfg, path)
		weirds := readLog(t, filepath.Join(dir, "weird.log"))
		if len(weirds) != 1 || weirds[0]["name"] != "icmp6_ra_bad_opt_offset" || weirds[0]["addl"] != "8 (length 4)" {
			t.Fatalf("workers=%d: weirds %v, want one icmp6_ra_bad_opt_offset with 8 (length 4)", workers, weirds)
		}
		if _, ok := weirds[0]["uid"]; ok {
			t.Errorf("workers=%d: the weird has a uid: %v", workers, weirds[0])
		}
	}
}

// synData is a SYN from src:sport to dst:9999 carrying data (TCP Fast
// Open), its TCP checksum left zero (the test ignores checksums).
func synData(src, dst uint32, sport uint16) []byte {
	b := make([]byte, 40, 44)
	buildSYN(b, src, dst, sport, 9999, 1)
	b = append(b, "data"...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[10], b[11] = 0, 0
	setIPv4Checksum(b)
	return b
}

// TestSYNWithDataOncePerOriginator: SYN_with_data is Zeek's
// ACTION_LOG_PER_ORIG: logged for the first connection of each
// originator, whatever the worker count.
func TestSYNWithDataOncePerOriginator(t *testing.T) {
	a, b, srv := uint32(0x0a000001), uint32(0x0a000002), uint32(0x0a000009)
	path := writeFrames(t,
		ethFrame(0x0800, synData(a, srv, 4000)),
		ethFrame(0x0800, synData(a, srv, 4001)),
		ethFrame(0x0800, synData(b, srv, 4000)),
	)
	for _, workers := range []int{1, 3} {
		cfg := DefaultConfig()
		cfg.Workers = workers
		cfg.Flow.IgnoreChecksums = true
		_, dir := runTo(t, cfg, path)
		want := []string{"SYN_with_data C… 10.0.0.1:4000 -> 10.0.0.9:9999", "SYN_with_data C… 10.0.0.2:4000 -> 10.0.0.9:9999"}
		if got := weirdLines(t, dir); !slices.Equal(got, want) {
			t.Errorf("workers=%d: weirds %q, want %q", workers, got, want)
		}
	}
}
