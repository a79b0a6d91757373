package analyze

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// factCollector is a Consumer keeping every line, by log.
type factCollector struct {
	mu    sync.Mutex
	lines map[string][]map[string]any
}

func (c *factCollector) Record(log string, line []byte) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		m = map[string]any{"invalid": string(line)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lines == nil {
		c.lines = map[string][]map[string]any{}
	}
	c.lines[log] = append(c.lines[log], m)
}

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0xaa}
	macB = []byte{0x02, 0, 0, 0, 0, 0xbb}
)

func ethFrame(etherType uint16, body []byte) []byte {
	f := append(append(append([]byte{}, macB...), macA...), byte(etherType>>8), byte(etherType))
	return append(f, body...)
}

// arpReply: 10.0.0.1 is-at 02:..:aa.
func arpReply() []byte {
	b := []byte{0, 1, 8, 0, 6, 4, 0, 2}
	b = append(append(b, macA...), 10, 0, 0, 1)
	return append(append(b, macB...), 10, 0, 0, 2)
}

// synWithOptions is a Linux-like SYN: MSS 1460, SACK, TS, NOP, WS 7;
// seq equals the destination address when mirai is set.
func synWithOptions(mirai bool) []byte {
	ip := make([]byte, 20+40)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[6] = 0x40 // DF
	ip[8] = 64
	ip[9] = decode.ProtoTCP
	copy(ip[12:], []byte{10, 0, 0, 1})
	copy(ip[16:], []byte{198, 51, 100, 7})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], 23)
	seq := uint32(12345)
	if mirai {
		seq = binary.BigEndian.Uint32(ip[16:20])
	}
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 10 << 4
	tcp[13] = decode.TCPSyn
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	copy(tcp[20:], []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7})
	setIPv4Checksum(ip) // a bad one drops the packet
	return ip
}

// routerAdvert: fe80::1 advertises 2001:db8:1::/64 (L, A), lifetime 1800,
// M and O set, high preference, with its link-layer address and MTU 1500.
func routerAdvert() []byte {
	icmp := []byte{134, 0, 0, 0, 64, 0xc0 | 0x08, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}
	icmp = append(icmp, 1, 1)
	icmp = append(icmp, macA...)
	icmp = append(icmp, 5, 1, 0, 0, 0, 0, 0x05, 0xdc)
	pi := []byte{3, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08, 0, 0, 0, 0}
	pi = append(pi, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	icmp = append(icmp, pi...)
	ip := make([]byte, 40, 40+len(icmp))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(icmp)))
	ip[6] = decode.ProtoICMPv6
	ip[7] = 255
	ip[8], ip[9], ip[23] = 0xfe, 0x80, 1
	ip[24], ip[25], ip[39] = 0xff, 0x02, 1
	return append(ip, icmp...)
}

func writeFrames(t *testing.T, frames ...[]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "facts.pcap")
	steps := make([]int64, len(frames))
	for i := 1; i < len(steps); i++ {
		steps[i] = int64(time.Millisecond)
	}
	writePcapSteps(t, path, steps, frames)
	return path
}

// writePcapSteps writes frames to an Ethernet pcap at path, the first at
// 2026-01-01 plus steps[0] and each later one steps[i] after the one
// before.
func writePcapSteps(t *testing.T, path string, steps []int64, frames [][]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := capture.NewWriter(bw, decode.LinkEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i, fr := range frames {
		ts += steps[i]
		if err := w.WritePacket(ts, fr, len(fr)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestPacketFactsReachConsumers(t *testing.T) {
	path := writeFrames(t,
		ethFrame(0x0806, arpReply()),
		ethFrame(0x0800, synWithOptions(false)),
		ethFrame(0x0800, synWithOptions(true)),
		ethFrame(0x86dd, routerAdvert()),
	)
	for _, workers := range []int{1, 2} {
		col := &factCollector{}
		cfg := DefaultConfig()
		cfg.Workers = workers
		cfg.Consumers = []Consumer{col}
		sum, dir := runTo(t, cfg, path)
		for _, c := range sum.Records {
			if isFact(c.Name) {
				t.Errorf("workers=%d: the summary counts fact stream %s as a log", workers, c.Name)
			}
		}
		want := map[string]map[string]any{
			factARP: {"op": 2.0, "src_mac": "02:00:00:00:00:aa", "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "eth_src": "02:00:00:00:00:aa"},
			factSYN: {"src": "10.0.0.1", "dst": "198.51.100.7", "dst_p": 23.0, "ttl": 64.0, "df": true, "win": 64240.0,
				"mss": 1460.0, "wscale": 7.0, "sack_ok": true, "tsopt": true, "opts": "M,S,T,N,W", "ack": false, "v": 4.0},
			factSeqEqualDst: {"src": "10.0.0.1", "dst": "198.51.100.7", "dst_p": 23.0},
			factND: {"type": "ra", "src": "fe80::1", "flags": "MO", "prf": "high", "router_lifetime": 1800.0,
				"ll_addr": "02:00:00:00:00:aa", "mtu": 1500.0, "options": "1,5,3",
				"prefixes": []any{map[string]any{"prefix": "2001:db8:1::/64", "flags": "LA", "valid": 3600.0, "preferred": 1800.0}}},
		}
		for log, fields := range want {
			got := col.lines[log]
			if len(got) == 0 {
				t.Fatalf("workers=%d: no %s fact (have %v)", workers, log, col.lines)
			}
			for k, v := range fields {
				if !reflect.DeepEqual(got[0][k], v) {
					t.Errorf("workers=%d %s.%s = %#v, want %#v", workers, log, k, got[0][k], v)
				}
			}
		}
		if n := len(col.lines[factSYN]); n != 2 {
			t.Errorf("workers=%d: %d SYN facts, want 2", workers, n)
		}
		if n := len(col.lines[factSeqEqualDst]); n != 1 {
			t.Errorf("workers=%d: %d seq==dst facts, want 1", workers, n)
		}
		if len(col.lines["conn"]) == 0 {
			t.Errorf("workers=%d: consumers saw no conn records", workers)
		}
		if _, err := os.Stat(filepath.Join(dir, factSYN+".log")); err == nil {
			t.Errorf("facts were written to disk")
		}
	}
}

// FuzzPacketFacts decodes arbitrary frames and builds their facts: never a
// panic, always one valid JSON object.
func FuzzPacketFacts(f *testing.F) {
	f.Add(ethFrame(0x0806, arpReply()))
	f.Add(ethFrame(0x0800, synWithOptions(true)))
	f.Add(ethFrame(0x86dd, routerAdvert()))
	dec := decode.NewDecoder(decode.DefaultConfig())
	f.Fuzz(func(t *testing.T, frame []byte) {
		var p decode.Packet
		dec.Decode(frame, decode.LinkEthernet, 1, len(frame), &p)
		var out []byte
		switch {
		case p.IsARP:
			out = appendARPFact(nil, &p)
		case p.IP.Proto == decode.ProtoTCP && p.IP.HasL4:
			var y rec.SYN
			out = appendSYNFact([]byte("x"), &p, &y)[1:] // the fields' spans start at the line's
			if err := synMatchesLine(&y, out); err != nil {
				t.Fatal(err)
			}
		case p.IP.Proto == decode.ProtoICMPv6 && p.IP.ICMPType >= 133 && p.IP.ICMPType <= 137:
			var ok bool
			if out, ok = appendNDFact(nil, &p); !ok {
				return
			}
		case p.IP.Proto == decode.ProtoICMPv6:
			out = appendICMP6Fact(nil, &p)
		default:
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid fact JSON: %s", out)
		}
		if p.IP.Version == 6 {
			if ext, ok := appendExt6Fact(nil, &p); ok && !json.Valid(ext) {
				t.Fatalf("invalid ext fact JSON: %s", ext)
			}
		}
	})
}

func TestWalkExt6FindsCovertAndUnknownOptions(t *testing.T) {
	ip := make([]byte, 40)
	ip[0], ip[6] = 0x60, 0                                                                // hop-by-hop first
	hbh := []byte{60, 0, 5, 2, 0, 0, 1, 0}                                                // router alert + PadN(0): clean
	dst := []byte{58, 1, 0x1e, 4, 'l', 'e', 'a', 'k', 1, 6, 's', 'e', 'c', 'r', 'e', 't'} // unknown 0x1e, PadN with data
	raw := append(append(append(ip, hbh...), dst...), 128, 0, 0, 0, 0, 0, 0, 0)
	var cb, ob [16]byte
	e := walkExt6(raw, cb[:], ob[:])
	if string(e.chain) != string([]byte{0, 60, 58}) {
		t.Errorf("chain %v", e.chain)
	}
	if string(e.unknownOpts) != "\x1e" || !e.nonzeroPad || e.optBytes != 24 {
		t.Errorf("unknown %v, nonzero pad %v, opt bytes %d", e.unknownOpts, e.nonzeroPad, e.optBytes)
	}
}

// TestWalkExt6PaddingRunAndNDType: the fact carries the longest run of
// padding (Pad1 and PadN in a row, RFC 8504 §5.3) and the upper layer's
// ICMPv6 type, which the IPv6 monitor needs to see an RA behind an
// extension header (RA-Guard evasion); a known option ends a run. Made
// without allocating (the reader's buffer).
func TestWalkExt6PaddingRunAndNDType(t *testing.T) {
	ip := make([]byte, 40)
	ip[0], ip[6] = 0x60, 60
	dst := []byte{58, 1, 1, 4, 0, 0, 0, 0, 0x05, 2, 0, 0, 1, 2, 0, 0} // PadN(4) (6 bytes), router alert, PadN(2) (4 bytes)
	raw := append(append(ip, dst...), 134, 0, 0, 0)
	var cb, ob [16]byte
	e := walkExt6(raw, cb[:], ob[:])
	if e.maxPad != 6 || e.icmpType != 134 {
		t.Errorf("max pad %d (want 6), icmp type %d (want 134)", e.maxPad, e.icmpType)
	}
	dst = []byte{58, 1, 0, 0, 0, 1, 4, 0, 0, 0, 0, 1, 2, 0, 0, 0} // Pad1 ×3, PadN(4), PadN(2), Pad1: 14 bytes in a row
	raw = append(append(ip[:40:40], dst...), 135, 0, 0, 0)
	if e = walkExt6(raw, cb[:], ob[:]); e.maxPad != 14 || e.icmpType != 135 {
		t.Errorf("max pad %d (want 14), icmp type %d (want 135)", e.maxPad, e.icmpType)
	}
	var p decode.Packet
	p.IPRaw, p.IP.Version, p.IP.Proto = raw, 6, decode.ProtoICMPv6
	p.IP.Src, p.IP.Dst = netip.MustParseAddr("fe80::bad"), netip.MustParseAddr("ff02::1")
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf, _ = appendExt6Fact(buf[:0], &p) }); n != 0 {
		t.Errorf("appendExt6Fact allocates %.0f times per packet", n)
	}
	if !bytes.Contains(buf, []byte(`"max_pad":14`)) || !bytes.Contains(buf, []byte(`"icmp_type":135`)) {
		t.Errorf("fact %s", buf)
	}
}
