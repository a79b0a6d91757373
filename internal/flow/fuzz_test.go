package flow

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

var validStates = map[string]bool{"S0": true, "S1": true, "SF": true, "REJ": true, "S2": true, "S3": true,
	"RSTO": true, "RSTR": true, "RSTOS0": true, "RSTRH": true, "SH": true, "SHR": true, "OTH": true}

type checkEmitter struct {
	t      *testing.T
	active func() uint64
	max    uint64
}

func (e *checkEmitter) Conn(c *record.Conn) {
	if !validStates[c.ConnState] {
		e.t.Fatalf("bad conn_state %q", c.ConnState)
	}
	if c.UID == "" || c.UID[0] != 'C' || !c.OrigH.IsValid() || !c.RespH.IsValid() {
		e.t.Fatalf("bad conn %+v", c)
	}
	if c.HasDuration != (c.Duration > 0) || (c.HasDuration && !c.HasOrigBytes) {
		e.t.Fatalf("duration/bytes presence %+v", c)
	}
	if c.OrigPkts == 0 && c.OrigIPBytes != 0 || c.RespPkts == 0 && c.RespIPBytes != 0 {
		e.t.Fatalf("ip bytes without packets %+v", c)
	}
	if c.Proto == "udp" && c.OrigBytes > 65535*c.OrigPkts {
		e.t.Fatalf("udp bytes %+v", c)
	}
	for _, s := range []string{c.UID, c.Proto, c.ConnState, c.History, c.CommunityID, c.OrigL2Addr, c.RespL2Addr} {
		if !plainJSON(s) {
			e.t.Fatalf("field %q needs JSON escaping, which AppendConnJSON does not do", s)
		}
	}
	buf := record.AppendConnJSON(nil, c)
	if !json.Valid(buf) {
		e.t.Fatalf("invalid json %s", buf)
	}
}

// plainJSON reports whether s holds only printable ASCII other than the
// quote and the backslash: bytes JSON writes as they are.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\' {
			return false
		}
	}
	return true
}

func (e *checkEmitter) Weird(w *record.Weird) {}

// FuzzTable turns bytes into packets over a small address/port space (so
// they collide into the same connections) and checks the table's
// invariants: no panic, Active <= MaxFlows, consistent records.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0, 1, 0, 0x12, 0, 0, 1, 0, 0x10, 0, 0, 0, 0x18, 9})
	f.Add([]byte{1, 0, 0, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{3, 3, 0, 0, 4, 4, 0, 0, 5, 5, 6, 6, 7, 7, 8, 8, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		cfg.MaxFlows = 8
		em := &checkEmitter{t: t}
		tb, err := NewTable(cfg, em)
		if err != nil {
			t.Fatal(err)
		}
		addrs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"),
			netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("255.255.255.255")}
		addrs6 := []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")}
		ports := []uint16{80, 40000, 53, 0}
		protos := []uint8{decode.ProtoTCP, decode.ProtoTCP, decode.ProtoTCP, decode.ProtoUDP, decode.ProtoICMP, decode.ProtoICMPv6, 132, decode.ProtoNoNext}
		ts := base
		for len(data) >= 6 {
			b := data[:6]
			data = data[6:]
			d := &decode.Datagram{Version: 4, HasL4: b[0]&0x80 == 0}
			d.Proto = protos[b[0]&7]
			if d.Proto == decode.ProtoICMPv6 {
				d.Version = 6
				d.Src, d.Dst = addrs6[b[1]&1], addrs6[(b[1]>>1)&1]
			} else {
				d.Src, d.Dst = addrs[b[1]&3], addrs[(b[1]>>2)&3]
			}
			d.SrcPort, d.DstPort = ports[(b[1]>>4)&3], ports[(b[1]>>6)&3]
			d.TCPFlags = b[2]
			d.Seq = uint32(b[3])<<24 | uint32(b[3])*977
			d.Ack = uint32(b[4]) * 1013
			d.Window = uint16(b[5] & 1)
			d.L4Len = int(b[5] >> 1)
			d.IPLen = 40 + d.L4Len
			d.HeaderLen = 20
			d.ICMPType, d.ICMPCode = b[3], b[4]&3
			ts += int64(b[0]&0x70) * int64(1e8) // up to ~11 s steps: timers fire
			checkTCPPaths(t, tb, d, ts)
			tb.Update(&Input{TS: ts, D: d})
			checkOthersFiled(t, tb)
			if b[0]&0x08 != 0 {
				tb.Expire(ts)
				checkOthersFiled(t, tb)
			}
			if st := tb.Stats(); st.Active > uint64(cfg.MaxFlows) || st.MaxActive > uint64(cfg.MaxFlows) {
				t.Fatalf("active %d > %d", st.Active, cfg.MaxFlows)
			}
		}
		tb.Flush()
		st := tb.Stats()
		if st.Active != 0 || st.Emitted != st.Created {
			t.Fatalf("after flush: %+v", st)
		}
	})
}

// checkTCPPaths checks that tcpPacket's path for plain segments does what
// tcpSegment, the path for any segment, does: when d belongs to a TCP
// connection the table holds, both run on copies of its state, which must
// come out equal.
func checkTCPPaths(t *testing.T, tb *Table, d *decode.Datagram, ts int64) {
	t.Helper()
	if d.Proto != decode.ProtoTCP || !d.HasL4 {
		return
	}
	src := addrOf(d.Src)
	var k key
	k.set(src, addrOf(d.Dst), d.SrcPort, d.DstPort, d.Proto, versionFlags(d.Version))
	ci, c := tb.lookup(&k, hashKey(&k, tb.seed))
	if ci == nilIdx {
		return
	}
	isOrig := c.origPort == d.SrcPort && c.origAddr == src
	fast, general := *c, *c
	roleFast, movedFast := tb.tcpPacket(&fast, isOrig, d, ts)
	roleGeneral, movedGeneral := tb.tcpSegment(&general, isOrig, d, ts)
	if fast != general || movedFast != movedGeneral || (roleFast == &fast.ep[0]) != (roleGeneral == &general.ep[0]) {
		t.Fatalf("flags %#x: tcpPacket gives %+v (timers moved %v, role %p), tcpSegment %+v (%v, %p)",
			d.TCPFlags, fast, movedFast, roleFast, general, movedGeneral, roleGeneral)
	}
}

// checkOthersFiled checks what Update's timer check relies on after a
// packet that moved no timer but inactivity's: between calls, every filed
// connection's other timers lie no earlier than its deadline.
func checkOthersFiled(t *testing.T, tb *Table) {
	t.Helper()
	for ci := int32(0); ci < tb.nconns; ci++ {
		if c := tb.at(ci); c.used && c.deadline != 0 && !c.othersFiled() {
			t.Fatalf("conn %d filed at %d after a timer: attempt %d expire %d delete %d canceled %v",
				ci, c.deadline, c.attemptAt, c.expireAt, c.deleteAt, c.timersCanceled)
		}
	}
}
