// Package mqtt analyzes MQTT 3.1, 3.1.1 and 5.0 over TCP and writes Zeek's
// mqtt_connect.log, mqtt_subscribe.log and mqtt_publish.log, following
// Zeek's base/protocols/mqtt/main.zeek: a connect record is written when
// the CONNACK arrives; QoS 0 publishes are written at once, QoS 1 ones when
// a PUBACK with their packet id is seen, QoS 2 ones when PUBREC, PUBREL and
// PUBCOMP have all been seen; subscribe and unsubscribe records when their
// SUBACK / UNSUBACK arrives. Unacknowledged publishes and subscriptions are
// written (status "incomplete_qos", ack false) 5 seconds after they were
// seen, as Zeek's table expiry does, or when the connection ends.
//
// Unlike Zeek (which parses every version as 3.1.1), MQTT 5.0 properties
// are skipped where the CONNECT said version 5, so topics and payloads of
// 5.0 sessions come out right. mqtt_connect.log also carries
// username_present, password_present, clean_session and keep_alive.
//
// The user name and password of a CONNECT, which mqtt_connect.log does
// not show (Zeek's has neither), are handed on in the AuthLog facts for
// the detectors and the asset inventory, never written to disk.
package mqtt

import (
	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/wire"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Bounds of one connection's state.
const (
	// MaxBody is the most of one control packet's body kept per
	// direction; the rest is counted (payload_len) and skipped.
	MaxBody = 16 << 10
	// MaxPayload is Zeek's MQTT::max_payload_size: the logged payload
	// is cut to this many bytes.
	MaxPayload = 100
	// MaxPending bounds the unacknowledged publishes and the
	// unacknowledged subscriptions kept (each); past it the oldest is
	// written as incomplete.
	MaxPending = 64
	// MaxTopics bounds the topics of one (un)subscribe record.
	MaxTopics = 256
	// expireNS is Zeek's &write_expire=5secs on the pending tables.
	expireNS = 5e9
)

// AuthLog is the fact stream of MQTT logins: one record per CONNECT with
// a user name or a password, when its CONNACK arrives, handed on just
// before its mqtt_connect record (same ts: the CONNECT's): client_id,
// user (absent when the CONNECT had none: MQTT 5 allows a password
// alone, 3.1.1 does not), password (absent when it had none; binary
// bytes are escaped as record.AppendString does), connect_status as
// mqtt_connect.log names it and success (the CONNACK accepted it). The
// leading '_' keeps these records off disk.
const AuthLog = "_mqtt_auth"

// Message types.
const (
	typeConnect     = 1
	typeConnack     = 2
	typePublish     = 3
	typePuback      = 4
	typePubrec      = 5
	typePubrel      = 6
	typePubcomp     = 7
	typeSubscribe   = 8
	typeSuback      = 9
	typeUnsubscribe = 10
	typeUnsuback    = 11
)

func init() {
	proto.Register(&proto.Factory{
		Partial:    true, // Zeek analyses it on connections picked up mid-stream
		Name:       "mqtt",
		Transports: []uint8{6},
		Ports:      []uint16{1883},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Sure for a CONNECT naming "MQTT" or "MQIsdp", Likely for a
// well-formed control packet on port 1883 and Maybe for the port alone.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 {
		return proto.No
	}
	if len(first) >= 2 && first[0] == 0x10 {
		n, hl, ok := remLen(first[1:])
		if ok && n >= 10 {
			b := first[1+hl:]
			if len(b) >= 8 && b[0] == 0 && b[1] == 4 && string(b[2:6]) == "MQTT" ||
				len(b) >= 10 && b[0] == 0 && b[1] == 6 && string(b[2:8]) == "MQIsdp" {
				return proto.Sure
			}
		}
	}
	if respPort != 1883 {
		return proto.No
	}
	if len(first) >= 2 && first[0]>>4 >= 1 && first[0]>>4 <= 15 {
		if _, _, ok := remLen(first[1:]); ok {
			return proto.Likely
		}
	}
	return proto.Maybe
}

// remLen decodes a remaining-length varint: the value, its size and
// whether it is complete and at most 4 bytes.
func remLen(b []byte) (n, size int, ok bool) {
	mult := 1
	for i := 0; i < 4 && i < len(b); i++ {
		n += int(b[i]&0x7f) * mult
		mult *= 128
		if b[i]&0x80 == 0 {
			return n, i + 1, true
		}
	}
	return 0, 0, false
}

// side frames one direction's control packets.
type side struct {
	hdr    [5]byte
	nh     int
	inBody bool
	need   int // body bytes still to come
	total  int // body length
	buf    []byte
	dead   bool
}

type pubInfo struct {
	ts         int64
	fromClient bool
	retain     bool
	qos        uint8
	id         uint16
	topic      string
	payload    string
	payloadLen int
	rec, rel   bool
	comp       bool
}

type subInfo struct {
	ts      int64
	id      uint16
	unsub   bool
	topics  []string
	qos     []uint8
	granted int // -1 unset
	ack     bool
}

// Analyzer is the MQTT analyzer of one TCP connection. State is bounded:
// per direction a header of 5 bytes and at most MaxBody bytes of the
// current packet; at most MaxPending pending publishes and as many
// pending (un)subscriptions, each with at most MaxTopics topics.
type Analyzer struct {
	ci          *proto.ConnInfo
	out         proto.Sink
	sides       [2]side
	version     uint8
	proto.Named // conn.log service, once confirmed

	// The connect record (Zeek's c$mqtt), created by the first message.
	session    bool
	sessTS     int64
	haveConn   bool
	protoName  string
	protoVer   uint8
	clientID   string
	hasWill    bool
	willTopic  string
	willMsg    string
	userFlag   bool
	passFlag   bool
	cleanSess  bool
	keepAlive  uint16
	hasStatus  bool
	statusCode uint8
	// The CONNECT's credentials, for the AuthLog facts (buffers reused
	// by each CONNECT); credsOK: they were read.
	user, pass []byte
	credsOK    bool

	pubs []*pubInfo
	subs []*subInfo
	line []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Gap implements proto.Analyzer: the direction is no longer framed.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	if n > 0 && int(dir) < 2 {
		a.sides[dir].dead = true
	}
}

// End implements proto.Analyzer: pending records are written.
func (a *Analyzer) End(ts int64) {
	for len(a.pubs) > 0 {
		a.writePub(a.pubs[0])
		a.pubs = a.pubs[1:]
	}
	for len(a.subs) > 0 {
		a.writeSub(a.subs[0])
		a.subs = a.subs[1:]
	}
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if int(dir) > 1 {
		return
	}
	s := &a.sides[dir]
	for len(data) > 0 && !s.dead {
		if !s.inBody {
			c := data[0]
			data = data[1:]
			s.hdr[s.nh] = c
			s.nh++
			if s.nh == 1 {
				continue
			}
			if c&0x80 != 0 {
				if s.nh == 5 {
					s.dead = true // Zeek: "remaining length: too many bytes"
				}
				continue
			}
			n, _, _ := remLen(s.hdr[1:s.nh])
			s.total, s.need, s.inBody = n, n, true
			s.buf = s.buf[:0]
			if n == 0 {
				a.finish(dir, s, ts)
			}
			continue
		}
		take := min(s.need, len(data))
		if keep := min(take, MaxBody-len(s.buf)); keep > 0 {
			s.buf = append(s.buf, data[:keep]...)
		}
		s.need -= take
		data = data[take:]
		if s.need == 0 {
			a.finish(dir, s, ts)
		}
	}
}

func (a *Analyzer) finish(dir proto.Direction, s *side, ts int64) {
	typ, flags := s.hdr[0]>>4, s.hdr[0]&0x0f
	s.nh, s.inBody = 0, false
	a.expire(ts)
	a.message(dir, ts, typ, flags, s.buf, s.total)
}

// str reads an MQTT string (a 16-bit length and the bytes).
func str(r *wire.Reader) string { return string(r.Vec16()) }

// skipProps skips MQTT 5.0 properties (a varint length and that many bytes).
func skipProps(r *wire.Reader) {
	n, size, ok := remLen(r.B)
	if !ok || size+n > len(r.B) {
		r.Bad, r.B = true, nil
		return
	}
	r.B = r.B[size+n:]
}

func (a *Analyzer) setSession(ts int64) {
	if !a.session {
		a.session, a.sessTS = true, ts
	}
}

func (a *Analyzer) message(dir proto.Direction, ts int64, typ, flags uint8, body []byte, total int) {
	r := wire.Reader{B: body}
	v5 := a.version == 5
	switch typ {
	case typeConnect:
		name := str(&r)
		ver := r.U8()
		cf := r.U8()
		ka := r.U16()
		if ver == 5 {
			skipProps(&r)
		}
		cid := str(&r)
		var wt, wm string
		if cf&0x04 != 0 {
			if ver == 5 {
				skipProps(&r)
			}
			wt = str(&r)
			wm = str(&r)
		}
		if r.Bad {
			return
		}
		a.credentials(&r, cf)
		a.setSession(ts)
		a.version = ver
		a.haveConn = true
		a.protoName, a.protoVer, a.clientID = name, ver, cid
		a.hasWill, a.willTopic, a.willMsg = cf&0x04 != 0, wt, wm
		a.cleanSess, a.keepAlive = cf&0x02 != 0, ka
		a.Confirm("mqtt")
	case typeConnack:
		r.U8()
		rc := r.U8()
		if r.Bad {
			return
		}
		a.setSession(ts)
		a.hasStatus, a.statusCode = true, rc
		a.writeConnect()
	case typePublish:
		qos := (flags >> 1) & 3
		topic := str(&r)
		var id uint16
		if qos != 0 {
			id = r.U16()
		}
		if v5 {
			skipProps(&r)
		}
		if r.Bad {
			return
		}
		a.setSession(ts)
		a.Confirm("mqtt")
		p := &pubInfo{ts: ts, fromClient: dir == proto.FromOrig, retain: flags&1 != 0, qos: qos, id: id, topic: topic}
		p.payloadLen = total - (len(body) - len(r.B))
		p.payload = string(r.B[:min(len(r.B), MaxPayload)])
		a.dropPub(id)
		if qos == 0 {
			a.writePub(p)
			return
		}
		if len(a.pubs) >= MaxPending {
			a.writePub(a.pubs[0])
			a.pubs = a.pubs[1:]
		}
		a.pubs = append(a.pubs, p)
	case typePuback, typePubrec, typePubrel, typePubcomp:
		id := r.U16()
		if r.Bad {
			return
		}
		a.setSession(ts)
		i := a.findPub(id)
		if i < 0 {
			return
		}
		p := a.pubs[i]
		done := false
		switch typ {
		case typePuback:
			done = p.qos == 1
		case typePubrec:
			p.rec = true
		case typePubrel:
			p.rel = true
		case typePubcomp:
			p.comp = true
			done = p.qos == 2 && p.rec && p.rel
		}
		if done {
			a.pubs = append(a.pubs[:i], a.pubs[i+1:]...)
			a.writePubStatus(p, "ok")
		}
	case typeSubscribe, typeUnsubscribe:
		id := r.U16()
		if v5 {
			skipProps(&r)
		}
		if r.Bad {
			return
		}
		a.setSession(ts)
		si := &subInfo{ts: ts, id: id, unsub: typ == typeUnsubscribe, granted: -1}
		for len(r.B) > 0 && len(si.topics) < MaxTopics {
			t := str(&r)
			if r.Bad {
				break
			}
			if !si.unsub {
				q := r.U8()
				if r.Bad {
					break
				}
				if v5 {
					q &= 3
				}
				si.qos = append(si.qos, q)
			}
			si.topics = append(si.topics, t)
		}
		if !si.unsub && len(si.qos) > len(si.topics) {
			si.qos = si.qos[:len(si.topics)]
		}
		if i := a.findSub(id); i >= 0 {
			a.subs = append(a.subs[:i], a.subs[i+1:]...)
		}
		if len(a.subs) >= MaxPending {
			a.writeSub(a.subs[0])
			a.subs = a.subs[1:]
		}
		a.subs = append(a.subs, si)
	case typeSuback, typeUnsuback:
		id := r.U16()
		var granted uint8
		if typ == typeSuback {
			if v5 {
				skipProps(&r)
			}
			granted = r.U8()
		}
		if r.Bad {
			return
		}
		a.setSession(ts)
		i := a.findSub(id)
		if i < 0 {
			return
		}
		si := a.subs[i]
		a.subs = append(a.subs[:i], a.subs[i+1:]...)
		if typ == typeSuback {
			si.granted = int(granted)
		}
		si.ack = true
		a.writeSub(si)
	}
}

// credentials reads the user name and password that follow a CONNECT's
// will (as its flags cf say) into a.user and a.pass; credsOK is false
// when the CONNECT had neither or they do not fit in the packet kept.
func (a *Analyzer) credentials(r *wire.Reader, cf uint8) {
	a.userFlag, a.passFlag = cf&0x80 != 0, cf&0x40 != 0
	a.user, a.pass = a.user[:0], a.pass[:0]
	if a.userFlag {
		a.user = append(a.user, r.Vec16()...)
	}
	if a.passFlag {
		a.pass = append(a.pass, r.Vec16()...) // binary data
	}
	a.credsOK = (a.userFlag || a.passFlag) && !r.Bad
}

func (a *Analyzer) findPub(id uint16) int {
	for i, p := range a.pubs {
		if p.id == id {
			return i
		}
	}
	return -1
}

// dropPub forgets a pending publish whose id is reused (Zeek's table
// assignment replaces it without logging).
func (a *Analyzer) dropPub(id uint16) {
	if i := a.findPub(id); i >= 0 {
		a.pubs = append(a.pubs[:i], a.pubs[i+1:]...)
	}
}

func (a *Analyzer) findSub(id uint16) int {
	for i, s := range a.subs {
		if s.id == id {
			return i
		}
	}
	return -1
}

// expire writes pending entries older than Zeek's 5 s write_expire.
func (a *Analyzer) expire(now int64) {
	for len(a.pubs) > 0 && now-a.pubs[0].ts >= expireNS {
		a.writePub(a.pubs[0])
		a.pubs = a.pubs[1:]
	}
	for len(a.subs) > 0 && now-a.subs[0].ts >= expireNS {
		a.writeSub(a.subs[0])
		a.subs = a.subs[1:]
	}
}

var versions = map[uint8]string{3: "3.1", 4: "3.1.1", 5: "5.0"}

var returnCodes = [...]string{
	"Connection Accepted",
	"Refused: unacceptable protocol version",
	"Refused: identifier rejected",
	"Refused: server unavailable",
	"Refused: bad user name or password",
	"Refused: not authorized",
}

// v5Reasons names MQTT 5.0 CONNACK reason codes (Zeek, which parses
// 3.1.1 only, prints unknown-return-code-N for them).
var v5Reasons = map[uint8]string{
	0x80: "Unspecified error", 0x81: "Malformed Packet", 0x82: "Protocol Error",
	0x83: "Implementation specific error", 0x84: "Unsupported Protocol Version",
	0x85: "Client Identifier not valid", 0x86: "Bad User Name or Password",
	0x87: "Not authorized", 0x88: "Server unavailable", 0x89: "Server busy",
	0x8a: "Banned", 0x8c: "Bad authentication method", 0x90: "Topic Name invalid",
	0x95: "Packet too large", 0x97: "Quota exceeded", 0x99: "Payload format invalid",
	0x9a: "Retain not supported", 0x9b: "QoS not supported", 0x9c: "Use another server",
	0x9d: "Server moved", 0x9f: "Connection rate exceeded",
}

func versionName(v uint8) string {
	if s, ok := versions[v]; ok {
		return s
	}
	return "unknown-version-" + itoa(int(v))
}

func statusName(v5 bool, c uint8) string {
	if int(c) < len(returnCodes) {
		return returnCodes[c]
	}
	if v5 {
		if s, ok := v5Reasons[c]; ok {
			return s
		}
	}
	return "unknown-return-code-" + itoa(int(c))
}

func qosName(q uint8) string {
	switch q {
	case 0:
		return "at most once"
	case 1:
		return "at least once"
	case 2:
		return "exactly once"
	}
	return "unknown-qos-level-" + itoa(int(q))
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

func (a *Analyzer) emit(log string, b []byte) {
	a.line = b
	if a.out != nil {
		a.out.Record(log, b)
	}
}

// authFact hands on the CONNECT's login (AuthLog) with the CONNACK's
// outcome.
func (a *Analyzer) authFact() {
	b := proto.AppendConnHeader(a.line[:0], a.sessTS, a.ci)
	b = record.AppendStringField(b, "client_id", a.clientID)
	if a.userFlag {
		b = record.AppendBytesString(append(b, `,"user":`...), a.user)
	}
	if a.passFlag {
		b = record.AppendBytesString(append(b, `,"password":`...), a.pass)
	}
	b = record.AppendStringField(b, "connect_status", statusName(a.protoVer == 5, a.statusCode))
	b = record.AppendBoolField(b, "success", a.statusCode == 0)
	a.emit(AuthLog, append(b, '}'))
}

// writeConnect writes the mqtt_connect record, after its login fact.
func (a *Analyzer) writeConnect() {
	if a.haveConn && a.hasStatus && a.credsOK {
		a.authFact()
	}
	b := proto.AppendConnHeader(a.line[:0], a.sessTS, a.ci)
	if a.haveConn {
		b = record.AppendStringField(b, "proto_name", a.protoName)
		b = record.AppendStringField(b, "proto_version", versionName(a.protoVer))
		b = record.AppendStringField(b, "client_id", a.clientID)
	}
	if a.hasStatus {
		b = record.AppendStringField(b, "connect_status", statusName(a.protoVer == 5, a.statusCode))
	}
	if a.hasWill {
		b = record.AppendStringField(b, "will_topic", a.willTopic)
		b = record.AppendStringField(b, "will_payload", a.willMsg)
	}
	if a.haveConn {
		b = record.AppendBoolField(b, "username_present", a.userFlag)
		b = record.AppendBoolField(b, "password_present", a.passFlag)
		b = record.AppendBoolField(b, "clean_session", a.cleanSess)
		b = record.AppendUintField(b, "keep_alive", uint64(a.keepAlive))
	}
	a.emit("mqtt_connect", append(b, '}'))
}

func (a *Analyzer) writePub(p *pubInfo) {
	st := "incomplete_qos"
	if p.qos == 0 {
		st = "ok"
	}
	a.writePubStatus(p, st)
}

func (a *Analyzer) writePubStatus(p *pubInfo, status string) {
	b := proto.AppendConnHeader(a.line[:0], p.ts, a.ci)
	b = record.AppendBoolField(b, "from_client", p.fromClient)
	b = record.AppendBoolField(b, "retain", p.retain)
	b = record.AppendStringField(b, "qos", qosName(p.qos))
	b = record.AppendStringField(b, "status", status)
	b = record.AppendStringField(b, "topic", p.topic)
	b = record.AppendStringField(b, "payload", p.payload)
	b = record.AppendUintField(b, "payload_len", uint64(p.payloadLen))
	a.emit("mqtt_publish", append(b, '}'))
}

func (a *Analyzer) writeSub(s *subInfo) {
	b := proto.AppendConnHeader(a.line[:0], s.ts, a.ci)
	if s.unsub {
		b = record.AppendStringField(b, "action", "MQTT::UNSUBSCRIBE")
	} else {
		b = record.AppendStringField(b, "action", "MQTT::SUBSCRIBE")
	}
	b = record.AppendKey(b, "topics")
	b = append(b, '[')
	for i, t := range s.topics {
		if i > 0 {
			b = append(b, ',')
		}
		b = record.AppendString(b, t)
	}
	b = append(b, ']')
	if !s.unsub {
		b = record.AppendKey(b, "qos_levels")
		b = append(b, '[')
		for i, q := range s.qos {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, itoa(int(q))...)
		}
		b = append(b, ']')
	}
	if s.granted >= 0 {
		b = record.AppendUintField(b, "granted_qos_level", uint64(s.granted))
	}
	b = record.AppendBoolField(b, "ack", s.ack)
	a.emit("mqtt_subscribe", append(b, '}'))
}
