package flow

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"time"
	"unsafe"

	"github.com/vigil-nsm/vigil/internal/record"
)

var protoNames = [...]string{kindTCP: "tcp", kindUDP: "udp", kindICMP: "icmp", kindOther: "unknown_transport"}

func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// emit fills the reused record from c and hands it to the emitter.
func (t *Table) emit(c *conn) {
	if t.notify != nil {
		t.notify.BeginEmit(c.uid)
	}
	r := t.fillRecord(c)
	if t.app != nil && c.app != 0 {
		if svc := t.app.EndConn(c.uid, c.app, c.last); svc != "" && r.Service == "" {
			r.Service = svc
		}
	}
	t.stats.Emitted++
	t.out.Conn(r)
}

// fillRecord fills the reused record from c as it stands.
func (t *Table) fillRecord(c *conn) *record.Conn {
	r := &t.rec
	*r = record.Conn{
		TS:    c.start,
		OrigH: c.origAddr.netip(c.v6), RespH: c.respAddr.netip(c.v6),
		OrigP: c.origPort, RespP: c.respPort,
		Proto:   protoNames[c.kind],
		Service: c.service,
		IPProto: c.ipProto, HasIPProto: true,
		VLAN: c.vlan, HasVLAN: c.hasVLAN, InnerVLAN: c.innerVLAN, HasInnerVLAN: c.hasInner,
		MissedBytes: c.missed,
	}
	r.UID = bstr(c.uid.AppendTo(t.uidBuf[:0]))
	o, p := c.orig(), c.resp()
	if dur := c.last - c.start; dur > 0 {
		r.Duration, r.HasDuration = dur, true
		r.HasOrigBytes, r.HasRespBytes = true, true
		switch c.kind {
		case kindTCP:
			r.OrigBytes, r.RespBytes = c.tcpSize(o), c.tcpSize(p)
		default:
			if o.size > 0 {
				r.OrigBytes = uint64(o.size)
			}
			if p.size > 0 {
				r.RespBytes = uint64(p.size)
			}
			if c.kind == kindOther {
				r.OrigBytes, r.RespBytes = 0, 0
			}
		}
	}
	if c.hasMAC {
		r.OrigL2Addr = bstr(putMAC(&t.macBuf[0], &c.origMAC))
		r.RespL2Addr = bstr(putMAC(&t.macBuf[1], &c.respMAC))
	}
	r.OrigPkts, r.OrigIPBytes = o.pkts, o.ipBytes
	r.RespPkts, r.RespIPBytes = p.pkts, p.ipBytes
	r.History = bstr(append(t.histBuf[:0], c.hist[:c.histLen]...))
	r.ConnState = connState(c)
	if local := t.cfg.Local; local != nil {
		r.LocalOrig, r.LocalResp, r.HasLocal = local.Contains(r.OrigH), local.Contains(r.RespH), true
	}
	if c.nParents > 0 {
		for i := 0; i < int(c.nParents); i++ {
			t.parStr[i] = bstr(c.parents[i].AppendTo(t.parBuf[i][:0]))
		}
		r.TunnelParents = t.parStr[:c.nParents]
	}
	if t.cfg.CommunityID {
		r.CommunityID = bstr(t.communityID(c))
	}
	return r
}

// emitLong writes c as it stands to the Emitter's ConnLong, when it has
// one, once c has lasted its pending conn_long age (its duration, to its
// last packet, at least the age, as Corelight's long-connections package
// writes it), and files c's next age (LongDurations, then every
// LongRepeat; none when LongRepeat is 0). At the age itself c's last
// packet came before it: c is looked at again after as long as it has
// been idle, when a packet may have made it last the age (an idle c ends
// by inactivity first, unwritten). The ages its duration passed (a jump
// of the clock) are written once. The application layer is not ended: the
// record's service is what it has named so far (AppServicer).
func (t *Table) emitLong(c *conn, now int64) {
	age := int64(c.longAge) * int64(time.Second)
	dur := c.last - c.start
	if dur < age {
		c.longAt = now + max(now-c.last, wheelTick)
		return
	}
	for age != 0 && age <= dur {
		age = t.nextLongAge(age)
	}
	c.longAge, c.longAt = uint32(age/int64(time.Second)), 0
	if age != 0 {
		c.longAt = c.start + age
	}
	out, ok := t.out.(LongEmitter)
	if !ok {
		return
	}
	r := t.fillRecord(c)
	if as, ok := t.app.(AppServicer); ok && c.app != 0 && r.Service == "" {
		r.Service = as.ConnService(c.app)
	}
	out.ConnLong(r)
}

// nextLongAge returns the conn_long age after age (ns; 0: none).
func (t *Table) nextLongAge(age int64) int64 {
	for _, a := range t.cfg.LongDurations {
		if a := longSeconds(a); a > age {
			return a
		}
	}
	if t.cfg.LongRepeat > 0 {
		return age + longSeconds(t.cfg.LongRepeat)
	}
	return 0
}

// longSeconds is a conn_long age in whole seconds (ns), at least one.
func longSeconds(d time.Duration) int64 {
	return max(int64((d+time.Second-1)/time.Second), 1) * int64(time.Second)
}

// putMAC writes m into b as Zeek writes MAC addresses, "00:1a:2b:3c:4d:5e",
// and returns b as a slice.
func putMAC(b *[17]byte, m *[6]byte) []byte {
	const hex = "0123456789abcdef"
	for i, x := range m {
		if i > 0 {
			b[3*i-1] = ':'
		}
		b[3*i], b[3*i+1] = hex[x>>4], hex[x&15]
	}
	return b[:]
}

// connState is conn/main.zeek's conn_state().
func connState(c *conn) string {
	switch c.kind {
	case kindTCP:
	case kindUDP:
		oa, ra := c.orig().size >= 0, c.resp().size >= 0
		switch {
		case oa && ra:
			return "SF"
		case oa:
			return "S0"
		case ra:
			return "SHR"
		}
		return "OTH"
	default:
		return "OTH"
	}
	o, r := c.orig(), c.resp()
	os, rs := o.state, r.state
	oInactive := os == tcpInactive || os == tcpPartial
	rInactive := rs == tcpInactive || rs == tcpPartial
	switch {
	case rs == tcpReset:
		if os == tcpSynSent || os == tcpSynAckSent || (os == tcpReset && c.tcpSize(o) == 0 && c.tcpSize(r) == 0) {
			return "REJ"
		}
		if oInactive {
			return "RSTRH"
		}
		return "RSTR"
	case os == tcpReset:
		if rInactive {
			if rstos0History(c.hist[:c.histLen]) {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case rs == tcpClosed && os == tcpClosed:
		return "SF"
	case os == tcpClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case rs == tcpClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case os == tcpSynSent && rs == tcpInactive:
		return "S0"
	case os == tcpEstablished && rs == tcpEstablished:
		return "S1"
	}
	return "OTH"
}

// rstos0History matches Zeek's /\^?S[^HAFGIQ]*R.*/ against the whole
// history.
func rstos0History(h []byte) bool {
	i := 0
	if i < len(h) && h[i] == '^' {
		i++
	}
	if i >= len(h) || h[i] != 'S' {
		return false
	}
	for i++; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

// communityID computes community-id v1 into t.cidBuf.
func (t *Table) communityID(c *conn) []byte {
	var buf [2 + 16 + 16 + 4 + 4]byte
	binary.BigEndian.PutUint16(buf[0:2], t.cfg.CommunityIDSeed)
	sa, da := c.origAddr, c.respAddr
	sp, dp := c.origPort, c.respPort
	oneWay := false
	hasPorts := true
	switch c.kind {
	case kindICMP:
		// orig_p is the type; the community-id mapping gives the
		// counterpart type or the code, as Zeek's key does.
		sp, dp, oneWay = icmpPorts(c.v6, uint8(c.origPort), uint8(c.respPort))
	case kindOther:
		hasPorts = false
	}
	if !oneWay && !lessEndpoint(sa, sp, da, dp) {
		sa, da = da, sa
		sp, dp = dp, sp
	}
	b := sa.appendBytes(buf[:2], c.v6)
	b = da.appendBytes(b, c.v6)
	b = append(b, c.ipProto, 0)
	if hasPorts {
		b = binary.BigEndian.AppendUint16(b, sp)
		b = binary.BigEndian.AppendUint16(b, dp)
	}
	sum := sha1.Sum(b)
	out := append(t.cidBuf[:0], '1', ':')
	m := base64.StdEncoding.EncodedLen(len(sum))
	out = out[:2+m]
	base64.StdEncoding.Encode(out[2:], sum[:])
	return out
}
