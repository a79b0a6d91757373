package assets

import (
	"bytes"
	"net/netip"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// connRec holds the conn.log fields the inventory reads.
type connRec struct {
	ts                       float64
	uid                      string // made from uidRaw by connUID, when needed
	uidRaw                   []byte
	uidMade                  bool
	id                       connID
	proto, service, history  string
	connState                string
	origBytes, respBytes     uint64
	origPkts, respPkts       uint64
	origIPBytes, respIPBytes uint64
	origL2, respL2           rec.MAC // text made only when needed (connSide)
}

// takeID decodes one of the fields every connection record shares: ts,
// uid and the id.* ones (the decoders' switches pick them out).
func (inv *Inventory) takeID(ts *float64, uid *string, id *connID, key []byte, v value) {
	switch string(key) {
	case "ts":
		*ts = v.float()
	case "uid":
		*uid = inv.uid(v)
	case "id.orig_h":
		id.origH = inv.addr(v)
	case "id.orig_p":
		id.origP = uint16(v.uint())
	case "id.resp_h":
		id.respH = inv.addr(v)
	case "id.resp_p":
		id.respP = uint16(v.uint())
	}
}

// leadingIDs decodes the fields every connection record shares when the
// record starts with them, in the order Vigil and Zeek write them (ts,
// uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p), and returns the
// fields left for the decoder's loop: all of them for a record in
// another order. The loop takes any of these keys again as before, so
// that a key that repeats still keeps its last value.
func (inv *Inventory) leadingIDs(f *rec.Rec, ts *float64, uid *string, id *connID) []rec.Field {
	var raw rawIDs
	rest := raw.leading(f)
	if len(rest) == len(f.Fields()) {
		return rest
	}
	inv.decodeIDs(&raw, ts, uid, id)
	return rest
}

// rawIDs are the values of a record's ts, uid and id.* fields as
// written, for a decoder that decodes them only when it needs them.
type rawIDs struct {
	ts, uid, origH, origP, respH, respP value
}

// leading is leadingIDs without decoding: it keeps the six values when
// the record starts with them, and returns the fields left.
func (ids *rawIDs) leading(f *rec.Rec) []rec.Field {
	fl := f.Fields()
	if len(fl) < 6 || string(f.Key(fl[0])) != "ts" || string(f.Key(fl[1])) != "uid" ||
		string(f.Key(fl[2])) != "id.orig_h" || string(f.Key(fl[3])) != "id.orig_p" ||
		string(f.Key(fl[4])) != "id.resp_h" || string(f.Key(fl[5])) != "id.resp_p" {
		return fl
	}
	*ids = rawIDs{ts: value{f.Value(fl[0])}, uid: value{f.Value(fl[1])},
		origH: value{f.Value(fl[2])}, origP: value{f.Value(fl[3])},
		respH: value{f.Value(fl[4])}, respP: value{f.Value(fl[5])}}
	return fl[6:]
}

// take keeps v when key is one of the six (reporting whether it is).
func (ids *rawIDs) take(key []byte, v value) bool {
	switch string(key) {
	case "ts":
		ids.ts = v
	case "uid":
		ids.uid = v
	case "id.orig_h":
		ids.origH = v
	case "id.orig_p":
		ids.origP = v
	case "id.resp_h":
		ids.respH = v
	case "id.resp_p":
		ids.respP = v
	default:
		return false
	}
	return true
}

// decodeIDs decodes the six values as takeID does.
func (inv *Inventory) decodeIDs(ids *rawIDs, ts *float64, uid *string, id *connID) {
	*ts = ids.ts.float()
	*uid = inv.uid(ids.uid)
	id.origH = inv.addr(ids.origH)
	id.origP = uint16(ids.origP.uint())
	id.respH = inv.addr(ids.respH)
	id.respP = uint16(ids.respP.uint())
}

// decodeConn reads the conn.log fields the inventory needs from the
// record's shared decoding (rec.Conn, which the detectors and the IPv6
// monitor read too): its strings are interned or remembered, its MACs
// written as conn.log writes them.
func (inv *Inventory) decodeConn(line []byte, r *connRec) error {
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	c := f.Conn()
	*r = connRec{
		ts: c.TS, uidRaw: c.UID,
		id:    connID{origH: c.Orig, origP: c.OrigP, respH: c.Resp, respP: c.RespP},
		proto: protoName(c.Proto), service: inv.internText(c.Service), history: inv.internText(c.History),
		connState: c.State.String(),
		origBytes: c.OrigBytes, respBytes: c.RespBytes, origPkts: c.OrigPkts, respPkts: c.RespPkts,
		origIPBytes: c.OrigIPBytes, respIPBytes: c.RespIPBytes,
		origL2: c.OrigMAC, respL2: c.RespMAC,
	}
	return nil
}

// macTexts keeps the texts macText made in a direct-mapped table: a
// MAC's slot holds the last one made for a MAC that lands there.
type macTexts [macTextSlots]struct {
	mac  rec.MAC
	text string
}

const macTextSlots = 256

// macText is m as conn.log writes it ("" for none), made once for the
// few MACs every connection names and interned.
func (inv *Inventory) macText(m rec.MAC) string {
	if m.IsZero() {
		return ""
	}
	s := &inv.macTexts[m[3]^m[4]*7^m[5]*31] // a byte: one of the 256 slots
	if s.text == "" || s.mac != m {
		s.mac, s.text = m, inv.internText([]byte(m.String()))
	}
	return s.text
}

// protoName is conn.log's proto: "" for a record that names none of the
// transports the inventory counts (as when it had no proto field).
func protoName(p rec.Proto) string {
	if p == rec.ProtoOther {
		return ""
	}
	return p.String()
}

// onConn: traffic volume, link-layer bindings, services offered and used.
func (inv *Inventory) onConn(line []byte) error {
	var r connRec
	if err := inv.decodeConn(line, &r); err != nil {
		return err
	}
	orig := inv.connSide(r.id.origH, r.origL2, r.origPkts > 0 || r.origBytes > 0, r.ts)
	resp := inv.connSide(r.id.respH, r.respL2, r.respPkts > 0 || r.respBytes > 0, r.ts)
	name := inv.takeUsedName(&r)
	if orig != nil {
		t := &orig.traffic
		t.ConnsOut++
		t.BytesSent += r.origIPBytes
		t.BytesRecv += r.respIPBytes
		t.PktsSent += r.origPkts
		t.PktsRecv += r.respPkts
		inv.connUsed(orig, &r, name)
	}
	if resp == nil {
		inv.unclaimedConn(r.id.respH, &r)
	} else {
		t := &resp.traffic
		t.ConnsIn++
		t.BytesSent += r.respIPBytes
		t.BytesRecv += r.origIPBytes
		t.PktsSent += r.respPkts
		t.PktsRecv += r.origPkts
		if r.answered() {
			inv.connOffered(resp, &r)
		}
	}
	return nil
}

// connUID returns the record's uid (remembered), made on first use: a
// conn record is most often its connection's only record, and most need
// none but to look for the name an earlier record used.
func (inv *Inventory) connUID(r *connRec) string {
	if !r.uidMade {
		r.uid, r.uidMade = rememberedText(inv.uids, r.uidRaw), true
	}
	return r.uid
}

// takeUsedName returns the name an earlier record of the connection used
// (keepUsed), no longer kept; "" when none did. A uid without escapes is
// looked up as written.
func (inv *Inventory) takeUsedName(r *connRec) string {
	if len(inv.uidNames) == 0 {
		return ""
	}
	var name string
	if bytes.IndexByte(r.uidRaw, '\\') < 0 {
		name = inv.uidNames[string(r.uidRaw)] // its text is the uid: no string made
	} else {
		name = inv.uidNames[inv.connUID(r)]
	}
	if name != "" {
		uid := inv.connUID(r)
		delete(inv.uidNames, uid)
		inv.kept.forget(uid)
	}
	return name
}

// unclaimedConn keeps the traffic of a connection to a local address that
// has no entity (it has sent nothing so far), at most MaxHosts addresses.
func (inv *Inventory) unclaimedConn(a netip.Addr, r *connRec) {
	if !inv.isLocal(a) {
		return
	}
	t, ok := inv.unclaimed[a]
	if !ok && len(inv.unclaimed) >= inv.cfg.MaxHosts {
		return
	}
	t.ConnsIn++
	t.BytesSent += r.respIPBytes
	t.BytesRecv += r.origIPBytes
	t.PktsSent += r.respPkts
	t.PktsRecv += r.origPkts
	inv.unclaimed[a] = t
}

// connSide returns the entity of one side of a connection, marked seen
// when it sent packets and bound (weakly) to its link-layer address. The
// address's text is made only for a binding not counted yet, or an IPv6
// address that may embed it: a remote side needs none.
func (inv *Inventory) connSide(a netip.Addr, l2 rec.MAC, sent bool, ts float64) *ipEntity {
	e := inv.existing(a)
	if e == nil && sent {
		e = inv.ip(a)
		if e == nil && a.Is6() && eui64Match(a, inv.macText(l2)) {
			e = inv.ipForce(a)
		}
	}
	if e == nil {
		return nil
	}
	if sent {
		e.seen = true
		e.touch(ts)
		if !l2.IsZero() && !e.bumpWeakRaw(l2) {
			inv.bindWeak(e, inv.macText(l2))
		}
	}
	return e
}

// answered reports whether the responder took part: a TCP SYN-ACK or
// payload, or any UDP/other reply.
func (r *connRec) answered() bool {
	if r.proto == "tcp" {
		for i := 0; i < len(r.history); i++ {
			if r.history[i] == 'h' {
				return true
			}
		}
		return r.respBytes > 0
	}
	return r.respPkts > 0 || r.respBytes > 0
}

// connOffered counts the connection against the responder's service
// and observes the port and the service name.
func (inv *Inventory) connOffered(resp *ipEntity, r *connRec) {
	if r.proto != "tcp" && r.proto != "udp" || inv.isFTPData(r.id.respH, r.id.respP) {
		return
	}
	s := resp.service(r.proto, r.id.respP, r.ts)
	if s == nil {
		return
	}
	s.Conns++
	s.addClient(r.id.origH)
	service := serviceName(r.service, r.id.respP)
	if s.Name == "" && service != "" {
		s.Name = service
	}
	t := target{addr: resp.addr}
	o := obs{log: "conn", uid: inv.connUID(r), ts: r.ts, proto: r.proto, service: service, id: r.id}
	o.with("conn_state", r.connState).with("history", r.history).with("service", r.service)
	port := inv.portText(r.proto, r.id.respP) // offered, and used by the originator
	o.key, o.value, o.field = "offers", port, "id.resp_p"
	if name := inv.observe(&resp.entity, t, &o); name != "" && s.Name == "" {
		s.Name = name
	}
	if service != "" && (r.respBytes > 0 || !icsServices[service]) {
		o.key, o.value, o.field = "offers.service", service, "service"
		inv.observe(&resp.entity, t, &o)
	}
	if orig := inv.existing(r.id.origH); orig != nil {
		o.key, o.value, o.field = "uses", port, "id.resp_p"
		inv.observe(&orig.entity, target{addr: orig.addr}, &o)
		if service != "" {
			o.key, o.value, o.field = "uses.service", service, "service"
			inv.observe(&orig.entity, target{addr: orig.addr}, &o)
		}
	}
}

// icsServices are the services whose name in conn.log makes its
// responder a server only when it sent payload: a request to a port alone
// makes no PLC or outstation (its own log's answers do: onICS).
var icsServices = map[string]bool{"modbus": true, "dnp3": true}

// portTexts keeps the texts portText made in a direct-mapped table: a
// port's slot holds the last one made for it.
type portTexts [portTextSlots]portText

// portText is one protocol and port and its text.
type portText struct {
	proto string
	port  uint16
	text  string
}

const portTextSlots = 256

// portText returns "proto/port" ("tcp/443"): the value of the offers and
// uses observations, made once for the few ports every connection names.
func (inv *Inventory) portText(proto string, port uint16) string {
	s := &inv.portTexts[port%portTextSlots]
	if s.text == "" || s.port != port || s.proto != proto {
		*s = portText{proto: proto, port: port, text: proto + "/" + strconv.Itoa(int(port))}
	}
	return s.text
}

// connUsed counts the connection against the endpoint the originator
// used (a TCP or UDP service that answered): by SNI / HTTP Host when an
// earlier record of the uid named it, else by address, protocol and port.
// The entry is looked up by a key built on the stack: the strings of a new
// one are made only when it is added.
func (inv *Inventory) connUsed(orig *ipEntity, r *connRec, name string) {
	if !hostAddr(r.id.respH) || (r.proto != "tcp" && r.proto != "udp") || !r.answered() || inv.isFTPData(r.id.respH, r.id.respP) {
		return
	}
	var buf [64]byte
	key := append(buf[:0], name...)
	if name == "" {
		key = r.id.respH.AppendTo(key)
		key = append(key, ' ')
		key = append(key, r.proto...)
		key = append(key, '/')
		key = strconv.AppendUint(key, uint64(r.id.respP), 10)
	}
	u := orig.used[string(key)]
	if u == nil {
		u = orig.newUsed(string(key), inv.endpoint(r, name))
		if u == nil {
			return
		}
	}
	u.count(r.ts, r.origIPBytes, r.respIPBytes, r.service)
}

// endpoint describes the endpoint a connection used, with nothing counted
// yet: named by name, or by its address when name is "".
func (inv *Inventory) endpoint(r *connRec, name string) Used {
	u := Used{Name: name, Proto: r.proto, Port: r.id.respP, Service: r.service,
		External: !inv.isLocal(r.id.respH), First: r.ts, Last: r.ts}
	if name == "" {
		u.Addr = r.id.respH.String()
		u.Name = u.Addr
	}
	return u
}

// serviceName is conn.log's service, with the DNS-family protocols that
// Zeek logs as "dns" named by their port.
func serviceName(service string, port uint16) string {
	if service != "dns" {
		return service
	}
	switch port {
	case 5353:
		return "mdns"
	case 5355:
		return "llmnr"
	case 137:
		return "nbns"
	}
	return service
}

// isFTPData reports an FTP data channel ftp.log announced (not a service
// of its own).
func (inv *Inventory) isFTPData(a netip.Addr, port uint16) bool {
	_, ok := inv.ftpData[netip.AddrPortFrom(a, port)]
	return ok
}
