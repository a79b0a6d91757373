package analyze

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

// ICMPv6 neighbour discovery (RFC 4861) message types.
var ndTypeNames = [...]string{133: "rs", 134: "ra", 135: "ns", 136: "na", 137: "redirect"}

// ndFixedLen is the length of each message's fixed part after the 4-byte
// ICMPv6 header, where the options start.
var ndFixedLen = [...]int{133: 4, 134: 12, 135: 20, 136: 20, 137: 36}

// appendNDFact describes one neighbour-discovery message:
//
//	{"ts","type","src","dst","src_mac","hop_limit","target","redirect_dst",
//	 "flags","cur_hop_limit","router_lifetime","reachable","retrans",
//	 "ll_addr","mtu","prefixes":[{"prefix","flags","valid","preferred"}],
//	 "rdnss":[…],"options":"1,3,5"}
//
// flags are letters: RA M (managed), O (other), H (home agent), and the
// preference as prf; NA R (router), S (solicited), O (override); prefix
// L (on-link), A (autonomous). ll_addr is the source (RS, RA, NS) or target
// (NA, redirect) link-layer address option. ok is false when the message
// is too short to be one.
func appendNDFact(dst []byte, p *decode.Packet) ([]byte, bool) {
	d := &p.IP
	if d.HeaderLen <= 0 || d.HeaderLen > len(p.IPRaw) {
		return dst, false
	}
	msg := p.IPRaw[d.HeaderLen:]
	if d.IPLen > d.HeaderLen && d.IPLen-d.HeaderLen < len(msg) {
		msg = msg[:d.IPLen-d.HeaderLen]
	}
	typ := int(d.ICMPType)
	if len(msg) < 4+ndFixedLen[typ] {
		return dst, false
	}
	body := msg[4:]
	dst = appendFactHead(dst, p.TS)
	dst = record.AppendStringField(dst, "type", ndTypeNames[typ])
	dst = record.AppendAddrField(dst, "src", d.Src)
	dst = record.AppendAddrField(dst, "dst", d.Dst)
	if p.HasEth {
		dst = appendMACField(dst, "src_mac", p.SrcMAC)
	}
	dst = record.AppendUintField(dst, "hop_limit", uint64(d.TTL))
	if p.NumTunnels > 0 {
		// Carried in a tunnel (Teredo's qualification RAs): not this
		// link's neighbour discovery.
		dst = record.AppendBoolField(dst, "tunnelled", true)
	}
	dst = appendNDFixed(dst, typ, body)
	dst = appendNDOptions(dst, body[ndFixedLen[typ]:])
	return append(dst, '}'), true
}

// appendNDFixed writes the fields of the message's fixed part.
func appendNDFixed(dst []byte, typ int, body []byte) []byte {
	switch typ {
	case 134:
		f := body[1]
		var flags []byte
		for _, x := range []struct {
			bit byte
			c   byte
		}{{0x80, 'M'}, {0x40, 'O'}, {0x20, 'H'}} {
			if f&x.bit != 0 {
				flags = append(flags, x.c)
			}
		}
		dst = record.AppendStringField(dst, "flags", string(flags))
		dst = record.AppendStringField(dst, "prf", [4]string{"medium", "high", "reserved", "low"}[f>>3&3])
		dst = record.AppendUintField(dst, "cur_hop_limit", uint64(body[0]))
		dst = record.AppendUintField(dst, "router_lifetime", uint64(binary.BigEndian.Uint16(body[2:])))
		dst = record.AppendUintField(dst, "reachable", uint64(binary.BigEndian.Uint32(body[4:])))
		dst = record.AppendUintField(dst, "retrans", uint64(binary.BigEndian.Uint32(body[8:])))
	case 135:
		dst = record.AppendAddrField(dst, "target", addr16(body[4:20]))
	case 136:
		var flags []byte
		for _, x := range []struct {
			bit byte
			c   byte
		}{{0x80, 'R'}, {0x40, 'S'}, {0x20, 'O'}} {
			if body[0]&x.bit != 0 {
				flags = append(flags, x.c)
			}
		}
		dst = record.AppendStringField(dst, "flags", string(flags))
		dst = record.AppendAddrField(dst, "target", addr16(body[4:20]))
	case 137:
		dst = record.AppendAddrField(dst, "target", addr16(body[4:20]))
		dst = record.AppendAddrField(dst, "redirect_dst", addr16(body[20:36]))
	}
	return dst
}

func addr16(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b)) }

// appendNDOptions writes the options the monitor and the inventory use
// and lists every option type seen, in order.
func appendNDOptions(dst []byte, opts []byte) []byte {
	var kinds []byte
	var prefixes, rdnss []byte
	for n := 0; len(opts) >= 8 && n < 64; n++ {
		kind, size := opts[0], int(opts[1])*8
		if size == 0 || size > len(opts) {
			kinds = append(kinds, '!') // malformed: length 0 or past the end
			break
		}
		o := opts[:size]
		opts = opts[size:]
		if len(kinds) > 0 {
			kinds = append(kinds, ',')
		}
		kinds = strconv.AppendUint(kinds, uint64(kind), 10)
		switch {
		case (kind == 1 || kind == 2) && size >= 8:
			dst = appendMACField(dst, "ll_addr", [6]byte(o[2:8]))
		case kind == 3 && size >= 32:
			prefixes = appendPrefix(prefixes, o)
		case kind == 5 && size >= 8:
			dst = record.AppendUintField(dst, "mtu", uint64(binary.BigEndian.Uint32(o[4:8])))
		case kind == 25 && size >= 24:
			for a := o[8:]; len(a) >= 16; a = a[16:] {
				if len(rdnss) > 0 {
					rdnss = append(rdnss, ',')
				}
				rdnss = record.AppendString(rdnss, addr16(a[:16]).String())
			}
		}
	}
	if len(prefixes) > 0 {
		dst = append(record.AppendKey(dst, "prefixes"), '[')
		dst = append(append(dst, prefixes...), ']')
	}
	if len(rdnss) > 0 {
		dst = append(record.AppendKey(dst, "rdnss"), '[')
		dst = append(append(dst, rdnss...), ']')
	}
	return record.AppendStringField(dst, "options", string(kinds))
}

// appendPrefix appends one prefix-information option as a JSON object.
func appendPrefix(dst []byte, o []byte) []byte {
	if len(dst) > 0 {
		dst = append(dst, ',')
	}
	pfx := netip.PrefixFrom(addr16(o[16:32]), int(min(o[2], 128)))
	dst = append(dst, `{"prefix":`...)
	dst = record.AppendString(dst, pfx.String())
	var flags []byte
	if o[3]&0x80 != 0 {
		flags = append(flags, 'L')
	}
	if o[3]&0x40 != 0 {
		flags = append(flags, 'A')
	}
	dst = record.AppendStringField(dst, "flags", string(flags))
	dst = record.AppendUintField(dst, "valid", uint64(binary.BigEndian.Uint32(o[4:8])))
	dst = record.AppendUintField(dst, "preferred", uint64(binary.BigEndian.Uint32(o[8:12])))
	return append(dst, '}')
}

// ICMPv6 messages the IPv6 monitor watches besides neighbour discovery.
func icmp6Watched(p *decode.Packet) bool {
	switch t := p.IP.ICMPType; {
	case t >= 1 && t <= 4: // errors: unreachable, packet too big, time exceeded, parameter problem
		return true
	case t == 128: // echo request: watched only to a multicast group (smurf)
		return p.IP.Dst.IsMulticast()
	case t == 130 || t == 131 || t == 132 || t == 143: // MLD
		return true
	}
	return false
}

// appendICMP6Fact: {"ts","type","code","src","dst","src_mac","hop_limit",
// "mtu" (packet too big), "pointer" (parameter problem), "group" (MLDv1),
// "records" (MLDv2 report), "len"}.
func appendICMP6Fact(dst []byte, p *decode.Packet) []byte {
	d := &p.IP
	dst = appendFactHead(dst, p.TS)
	dst = record.AppendUintField(dst, "type", uint64(d.ICMPType))
	dst = record.AppendUintField(dst, "code", uint64(d.ICMPCode))
	dst = record.AppendAddrField(dst, "src", d.Src)
	dst = record.AppendAddrField(dst, "dst", d.Dst)
	if p.HasEth {
		dst = appendMACField(dst, "src_mac", p.SrcMAC)
	}
	dst = record.AppendUintField(dst, "hop_limit", uint64(d.TTL))
	dst = record.AppendUintField(dst, "len", uint64(d.L4Len))
	var msg []byte
	if d.HeaderLen > 0 && d.HeaderLen <= len(p.IPRaw) {
		msg = p.IPRaw[d.HeaderLen:]
	}
	if len(msg) >= 8 {
		word := uint64(binary.BigEndian.Uint32(msg[4:8]))
		switch d.ICMPType {
		case 2:
			dst = record.AppendUintField(dst, "mtu", word)
		case 4:
			dst = record.AppendUintField(dst, "pointer", word)
		case 143:
			dst = record.AppendUintField(dst, "records", word&0xffff)
		}
	}
	if (d.ICMPType == 130 || d.ICMPType == 131 || d.ICMPType == 132) && len(msg) >= 24 {
		dst = record.AppendAddrField(dst, "group", addr16(msg[8:24]))
	}
	return append(dst, '}')
}

// ext6 is what an IPv6 extension-header chain shows.
type ext6 struct {
	chain       []byte // next-header values in order, upper layer last
	unknownOpts []byte // option types in HBH/DstOpts not known to RFCs
	nonzeroPad  bool   // a PadN or Pad1 run carrying data (covert channel)
	optBytes    int    // bytes of HBH and DstOpts headers
	maxPad      int    // the longest run of padding bytes (Pad1, PadN) in one header
	routingType int    // -1 when no routing header
	icmpType    int    // the upper layer's ICMPv6 type; -1 when not ICMPv6 or not in the packet
}

// knownOption reports whether an HBH/DstOpts option type is a registered
// one the monitor expects (padding, jumbo, router alert, tunnel encap
// limit, home address, CALIPSO, RPL, quick-start, MPL, PDM, IOAM).
func knownOption(t byte) bool {
	switch t {
	case 0, 1, 0x04, 0x05, 0x07, 0x26, 0x31, 0x3e, 0x63, 0x6d, 0x0f, 0xc2, 0xc9, 0xee, 0x11, 0x12:
		return true
	}
	return false
}

// walkExt6 reads the extension headers of the IPv6 datagram raw (bounded:
// 16 headers), stopping at a non-first fragment.
func walkExt6(raw []byte, buf, opts []byte) ext6 {
	e := ext6{chain: buf[:0], unknownOpts: opts[:0], routingType: -1, icmpType: -1}
	if len(raw) < 40 {
		return e
	}
	next, b := raw[6], raw[40:]
	for n := 0; n < 16; n++ {
		e.chain = append(e.chain, next)
		var size int
		switch next {
		case 0, 60, 43, 135:
			if len(b) < 2 {
				return e
			}
			size = (int(b[1]) + 1) * 8
		case 44:
			size = 8
		case 51:
			if len(b) < 2 {
				return e
			}
			size = (int(b[1]) + 2) * 4
		default:
			if next == decode.ProtoICMPv6 && len(b) > 0 {
				e.icmpType = int(b[0])
			}
			return e
		}
		if size > len(b) {
			return e
		}
		h := b[:size]
		switch next {
		case 0, 60:
			e.optBytes += size
			e = scanOptions(e, h[2:])
		case 43:
			if len(h) >= 3 {
				e.routingType = int(h[2])
			}
		case 44:
			if binary.BigEndian.Uint16(h[2:4])&0xfff8 != 0 {
				return e // not the first fragment: nothing after it is here
			}
		}
		next, b = h[0], b[size:]
	}
	return e
}

// scanOptions notes unknown option types, padding that carries data and
// the longest run of padding (RFC 8504 §5.3: more than 7 bytes in a row
// is no padding any header needs). It takes and returns e by value: a
// pointer would move the caller's buffers to the heap on every packet.
func scanOptions(e ext6, o []byte) ext6 {
	run := 0
	for len(o) > 0 {
		t := o[0]
		if t == 0 {
			run++
			e.maxPad = max(e.maxPad, run)
			o = o[1:]
			continue
		}
		if len(o) < 2 || 2+int(o[1]) > len(o) {
			if len(e.unknownOpts) < 16 {
				e.unknownOpts = append(e.unknownOpts, t)
			}
			return e
		}
		body := o[2 : 2+int(o[1])]
		if t == 1 {
			run += 2 + len(body)
			e.maxPad = max(e.maxPad, run)
			for _, c := range body {
				if c != 0 {
					e.nonzeroPad = true
					break
				}
			}
		} else {
			run = 0
			if !knownOption(t) && len(e.unknownOpts) < 16 {
				e.unknownOpts = append(e.unknownOpts, t)
			}
		}
		o = o[2+len(body):]
	}
	return e
}

// appendExt6Fact: {"ts","src","dst","chain":"0,60,58","unknown_opts":"…",
// "nonzero_pad","opt_bytes","max_pad","routing_type","icmp_type"}: the
// chain ends with the upper layer; max_pad is the longest run of padding
// bytes; routing_type and icmp_type (the upper layer's ICMPv6 type) are
// there when known. ok is false for a datagram
// without HBH, DstOpts or routing headers and with fewer than 3 headers
// (nothing the monitor looks at).
func appendExt6Fact(dst []byte, p *decode.Packet) ([]byte, bool) {
	var chainBuf, optBuf [16]byte
	e := walkExt6(p.IPRaw, chainBuf[:], optBuf[:])
	interesting := len(e.chain) >= 4 || e.optBytes > 0 || e.routingType >= 0
	if !interesting {
		return dst, false
	}
	dst = appendFactHead(dst, p.TS)
	dst = record.AppendAddrField(dst, "src", p.IP.Src)
	dst = record.AppendAddrField(dst, "dst", p.IP.Dst)
	dst = appendByteList(dst, "chain", e.chain)
	dst = appendByteList(dst, "unknown_opts", e.unknownOpts)
	dst = record.AppendBoolField(dst, "nonzero_pad", e.nonzeroPad)
	dst = record.AppendUintField(dst, "opt_bytes", uint64(e.optBytes))
	dst = record.AppendUintField(dst, "max_pad", uint64(e.maxPad))
	if e.routingType >= 0 {
		dst = record.AppendUintField(dst, "routing_type", uint64(e.routingType))
	}
	if e.icmpType >= 0 {
		dst = record.AppendUintField(dst, "icmp_type", uint64(e.icmpType))
	}
	return append(dst, '}'), true
}

func appendByteList(dst []byte, k string, v []byte) []byte {
	dst = append(record.AppendKey(dst, k), '"')
	for i, c := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, uint64(c), 10)
	}
	return append(dst, '"')
}
