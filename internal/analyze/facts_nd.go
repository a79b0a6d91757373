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
