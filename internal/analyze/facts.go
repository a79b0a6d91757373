package analyze

import (
	"encoding/binary"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Packet facts are the few per-packet observations that no log record
// carries but that consumers (detectors, the asset inventory, the IPv6
// monitor) need: ARP claims, TCP SYN fingerprints and IPv6 neighbour
// discovery. The reader emits them as JSON lines of logs whose names start
// with '_'; they go to Config.Consumers only, never to disk, and only when
// there is a consumer.
const (
	factARP         = "_arp"
	factSYN         = "_syn"
	factSeqEqualDst = "_syn_seq_eq_dst"
	factND          = "_nd"
	factICMP6       = "_icmp6"
	factExt6        = "_ip6ext"
)

// mayHaveFacts reports whether p is a packet emitFacts may write a fact
// for: ARP, a TCP SYN, ICMPv6 (whatever the IP version, as emitFacts
// tests) or IPv6 with extension headers. Most packets are none of these
// and skip the call.
func mayHaveFacts(p *decode.Packet) bool {
	return p.IsARP || p.IP.Proto == decode.ProtoICMPv6 ||
		p.IP.Proto == decode.ProtoTCP && p.IP.TCPFlags&decode.TCPSyn != 0 ||
		hasExt6(p)
}

// hasExt6 reports whether p is IPv6 with an extension-header chain (the
// first next header is not the upper layer).
func hasExt6(p *decode.Packet) bool {
	return p.IP.Version == 6 && len(p.IPRaw) > 6 && p.IPRaw[6] != p.IP.Proto
}

// emitFacts writes p's facts, if any, through the reader's sink.
func (r *reader) emitFacts(p *decode.Packet) {
	switch {
	case p.IsARP:
		r.sink.Record(factARP, appendARPFact(r.factBuf[:0], p))
	case p.IP.Proto == decode.ProtoTCP && p.IP.HasL4 && p.IP.TCPFlags&decode.TCPSyn != 0:
		r.factBuf = appendSYNFact(r.factBuf[:0], p, &r.syn)
		r.sink.RecordSYN(r.factBuf, &r.syn)
		if p.IP.Version == 4 && p.IP.TCPFlags&decode.TCPAck == 0 && p.IP.Seq == ipv4Word(p.IP.Dst) {
			r.factBuf = appendSeqEqualDstFact(r.factBuf[:0], p)
			r.sink.Record(factSeqEqualDst, r.factBuf)
		}
	case p.IP.Proto == decode.ProtoICMPv6 && p.IP.ICMPType >= 133 && p.IP.ICMPType <= 137:
		if b, ok := appendNDFact(r.factBuf[:0], p); ok {
			r.factBuf = b
			r.sink.Record(factND, b)
		}
	case p.IP.Proto == decode.ProtoICMPv6 && icmp6Watched(p):
		r.factBuf = appendICMP6Fact(r.factBuf[:0], p)
		r.sink.Record(factICMP6, r.factBuf)
	}
	if hasExt6(p) {
		if b, ok := appendExt6Fact(r.factBuf[:0], p); ok {
			r.factBuf = b
			r.sink.Record(factExt6, b)
		}
	}
}

func ipv4Word(a netip.Addr) uint32 {
	if !a.Is4() {
		return 0
	}
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func appendFactHead(dst []byte, ts int64) []byte {
	dst = append(dst, `{"ts":`...)
	return record.AppendTime(dst, ts)
}

func appendMACField(dst []byte, k string, m [6]byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(record.AppendKey(dst, k), '"')
	for i, b := range m {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, hex[b>>4], hex[b&15])
	}
	return append(dst, '"')
}

// appendARPFact: {"ts","op","src_mac","src_ip","dst_mac","dst_ip","eth_src"}.
// src_* are the sender fields, dst_* the target fields of the ARP body;
// eth_src is the frame's source address (differs from src_mac in some
// spoofing tools' output).
func appendARPFact(dst []byte, p *decode.Packet) []byte {
	a := &p.ARP
	dst = appendFactHead(dst, p.TS)
	dst = record.AppendUintField(dst, "op", uint64(a.Op))
	dst = appendMACField(dst, "src_mac", a.SenderMAC)
	dst = record.AppendAddrField(dst, "src_ip", a.SenderIP)
	dst = appendMACField(dst, "dst_mac", a.TargetMAC)
	dst = record.AppendAddrField(dst, "dst_ip", a.TargetIP)
	if p.HasEth {
		dst = appendMACField(dst, "eth_src", p.SrcMAC)
	}
	return append(dst, '}')
}

// synOptions is what a SYN's TCP options reveal, in the style of p0f.
type synOptions struct {
	layout       []byte // option kinds in order as letters (M N W S T E ?)
	mss          uint16
	wscale       int // -1 when absent
	sackOK, tsOK bool
}

// parseSYNOptions reads the options of the TCP header at the start of seg.
func parseSYNOptions(seg []byte, buf []byte) synOptions {
	o := synOptions{layout: buf[:0], wscale: -1}
	if len(seg) < 20 {
		return o
	}
	hl := int(seg[12]>>4) * 4
	if hl < 20 || hl > len(seg) {
		return o
	}
	opts := seg[20:hl]
	for len(opts) > 0 && len(o.layout) < 40 {
		kind := opts[0]
		if kind == 0 {
			o.layout = append(o.layout, 'E')
			break
		}
		if kind == 1 {
			o.layout = append(o.layout, 'N')
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
			o.layout = append(o.layout, '?')
			break
		}
		body := opts[2:opts[1]]
		switch kind {
		case 2:
			o.layout = append(o.layout, 'M')
			if len(body) == 2 {
				o.mss = binary.BigEndian.Uint16(body)
			}
		case 3:
			o.layout = append(o.layout, 'W')
			if len(body) == 1 {
				o.wscale = int(body[0])
			}
		case 4:
			o.layout = append(o.layout, 'S')
			o.sackOK = true
		case 8:
			o.layout = append(o.layout, 'T')
			o.tsOK = true
		default:
			o.layout = append(o.layout, '?')
		}
		opts = opts[opts[1]:]
	}
	return o
}

// appendSYNFact: {"ts","v","src","dst","dst_p","src_mac","ttl","df",
// "ip_len","win","mss","wscale","sack_ok","tsopt","opts","ack"} for a SYN
// or SYN-ACK; opts lists option kinds in order, comma-separated. It sets
// y to the fields its consumers read, as the line says them (rec.SYN).
func appendSYNFact(dst []byte, p *decode.Packet, y *rec.SYN) []byte {
	d := &p.IP
	var layout [40]byte
	var o synOptions
	if d.HeaderLen > 0 && d.HeaderLen <= len(p.IPRaw) {
		o = parseSYNOptions(p.IPRaw[d.HeaderLen:], layout[:])
	} else {
		o = synOptions{wscale: -1}
	}
	start := len(dst)
	dst = appendFactHead(dst, p.TS)
	y.TS, _ = rec.Number(dst[start+len(`{"ts":`):])
	dst = record.AppendUintField(dst, "v", uint64(d.Version))
	dst = record.AppendAddrField(dst, "src", d.Src)
	dst = record.AppendUintField(dst, "src_p", uint64(d.SrcPort))
	dst = record.AppendAddrField(dst, "dst", d.Dst)
	dst = record.AppendUintField(dst, "dst_p", uint64(d.DstPort))
	y.SrcMAC = rec.Span{}
	if p.HasEth {
		at := len(dst) + len(`,"src_mac":`)
		dst = appendMACField(dst, "src_mac", p.SrcMAC)
		y.SrcMAC = rec.SpanOf(at-start, len(dst)-start)
	}
	df := d.Version == 4 && len(p.IPRaw) > 6 && p.IPRaw[6]&0x40 != 0
	dst = record.AppendUintField(dst, "ttl", uint64(d.TTL))
	dst = record.AppendBoolField(dst, "df", df)
	dst = record.AppendUintField(dst, "ip_len", uint64(d.IPLen))
	dst = record.AppendUintField(dst, "win", uint64(d.Window))
	if o.mss != 0 {
		dst = record.AppendUintField(dst, "mss", uint64(o.mss))
	}
	if o.wscale >= 0 {
		dst = record.AppendUintField(dst, "wscale", uint64(o.wscale))
	}
	dst = record.AppendBoolField(dst, "sack_ok", o.sackOK)
	dst = record.AppendBoolField(dst, "tsopt", o.tsOK)
	dst = record.AppendKey(dst, "opts")
	opts := len(dst)
	dst = append(dst, '"')
	for i, c := range o.layout {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c)
	}
	dst = append(dst, '"')
	y.Opts = rec.SpanOf(opts-start, len(dst)-start)
	dst = record.AppendUintField(dst, "seq", uint64(d.Seq))
	ack := d.TCPFlags&decode.TCPAck != 0
	dst = record.AppendBoolField(dst, "ack", ack)
	y.Src, y.Dst, y.SrcP, y.DstP = rec.AsRead(d.Src), rec.AsRead(d.Dst), d.SrcPort, d.DstPort
	y.TTL, y.Win, y.MSS, y.WScale = uint16(d.TTL), d.Window, o.mss, o.wscale
	y.DF, y.Ack = df, ack
	return append(dst, '}')
}

// appendSeqEqualDstFact: {"ts","src","dst","dst_p"} for a SYN whose
// sequence number is its IPv4 destination address (Mirai's scanner).
func appendSeqEqualDstFact(dst []byte, p *decode.Packet) []byte {
	dst = appendFactHead(dst, p.TS)
	dst = record.AppendAddrField(dst, "src", p.IP.Src)
	dst = record.AppendAddrField(dst, "dst", p.IP.Dst)
	dst = record.AppendUintField(dst, "dst_p", uint64(p.IP.DstPort))
	return append(dst, '}')
}
