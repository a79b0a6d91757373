package lab

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// packetView is what the capture checks look at in each packet: enough of
// decode.Packet, copied (the decoder's slices die with the frame).
type packetView struct {
	ts       float64
	srcMAC   net.HardwareAddr
	isARP    bool
	arp      decode.ARP
	ip       decode.Datagram
	payload  []byte
	hasIP    bool
	hasFrag  bool
	ipRawLen int
}

// readCapture decodes every packet of a pcap with the repository's own
// readers.
func readCapture(t *testing.T, path string) []packetView {
	t.Helper()
	src, err := capture.Open([]string{path})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.DefaultConfig())
	var (
		f   capture.Frame
		p   decode.Packet
		out []packetView
	)
	for {
		err := src.Next(&f)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		out = append(out, packetView{
			ts: float64(f.TS) / 1e9, srcMAC: append(net.HardwareAddr(nil), p.SrcMAC[:]...),
			isARP: p.IsARP, arp: p.ARP, ip: p.IP, payload: bytes.Clone(p.Payload),
			hasIP: p.IP.Version != 0, hasFrag: p.Frag.IsFragment, ipRawLen: len(p.IPRaw),
		})
	}
}

// span is the first and last time of the packets that match.
func span(pkts []packetView, match func(*packetView) bool) (first, last float64, n int) {
	for i := range pkts {
		if match(&pkts[i]) {
			if n == 0 {
				first = pkts[i].ts
			}
			last = pkts[i].ts
			n++
		}
	}
	return first, last, n
}

// checkSpan requires the matching packets' first and last times within
// tolerance of the labels' start and end.
func checkSpan(t *testing.T, what string, first, last float64, n int, l *Labels, tolerance float64) {
	t.Helper()
	if n == 0 {
		t.Errorf("%s: no packet", what)
		return
	}
	if d := first - l.StartTS; d < -tolerance || d > tolerance {
		t.Errorf("%s: first packet %.3f s from start_ts", what, d)
	}
	if d := last - l.EndTS; d < -tolerance || d > tolerance {
		t.Errorf("%s: last packet %.3f s from end_ts", what, d)
	}
}

// fromMAC matches packets sent by mac.
func fromMAC(mac net.HardwareAddr) func(*packetView) bool {
	return func(p *packetView) bool { return bytes.Equal(p.srcMAC, mac) }
}

// isMiraiSYN reports a SYN to 23/2323 whose sequence number is its
// destination address.
func isMiraiSYN(p *packetView) bool {
	ip := &p.ip
	return ip.Version == 4 && ip.Proto == 6 && ip.HasL4 && ip.TCPFlags&(decode.TCPSyn|decode.TCPAck) == decode.TCPSyn &&
		(ip.DstPort == 23 || ip.DstPort == 2323) && ip.Seq == miraiSeq(ip.Dst)
}

// routerAdvert reports an ICMPv6 router advertisement and the prefixes of
// its prefix-information options.
func routerAdvert(p *packetView) (bool, []netip.Prefix) {
	if p.ip.Version != 6 || p.ip.Proto != 58 || p.ip.ICMPType != 134 {
		return false, nil
	}
	// The payload starts after the 8-byte ICMPv6 header; an RA has 8 more
	// bytes (reachable and retransmit timers) before its options.
	opts := p.payload
	if len(opts) < 8 {
		return true, nil
	}
	opts = opts[8:]
	var prefixes []netip.Prefix
	for len(opts) >= 8 && opts[1] > 0 && int(opts[1])*8 <= len(opts) {
		n := int(opts[1]) * 8
		if opts[0] == 3 && n == 32 {
			a := netip.AddrFrom16([16]byte(opts[16:32]))
			prefixes = append(prefixes, netip.PrefixFrom(a, int(opts[2])))
		}
		opts = opts[n:]
	}
	return true, prefixes
}

// sourceAddrs is the set of IP source addresses in the capture (ARP
// senders too).
func sourceAddrs(pkts []packetView) map[netip.Addr]bool {
	seen := map[netip.Addr]bool{}
	for i := range pkts {
		if pkts[i].hasIP {
			seen[pkts[i].ip.Src] = true
		}
		if pkts[i].isARP {
			seen[pkts[i].arp.SenderIP] = true
		}
	}
	return seen
}
