package assets

import (
	"math/bits"
	"net/netip"
	"strconv"
)

// An observation is one field value of one record that says something
// about one host ("the DHCP client 00:11:… sent vendor class MSFT 5.0").
// Rules (rules.go) turn observations into votes for an OS, a class, a
// device or a role, and into findings. Every vote and finding keeps the
// observation's record as its evidence.

// target is the host an observation is about: its address, its MAC, or
// both.
type target struct {
	addr netip.Addr
	mac  string
}

func (t target) String() string {
	if t.addr.IsValid() {
		return t.addr.String()
	}
	return t.mac
}

// connID is a record's connection (Zeek's id.* fields).
type connID struct {
	origH, respH netip.Addr
	origP, respP uint16
}

type kv struct{ k, v string }

// obs is one observation and the record behind it.
type obs struct {
	key, value string
	log, uid   string
	ts         float64
	field      string // the record's field name, when it differs from key
	proto      string // "tcp", "udp" when known
	service    string
	id         connID
	kvs        [6]kv
	n          int
}

// with adds a field value shown in the evidence.
func (o *obs) with(k, v string) *obs {
	if v != "" && o.n < len(o.kvs) {
		o.kvs[o.n] = kv{k, v}
		o.n++
	}
	return o
}

// evidence renders the observation as evidence for rule.
func (o *obs) evidence(rule string, conf float64) Evidence {
	field := o.field
	if field == "" {
		field = o.key
	}
	ev := Evidence{Log: o.log, UID: o.uid, TS: o.ts, Rule: rule, Field: field, Value: o.value, Confidence: conf}
	if o.n == 0 && !o.id.origH.IsValid() {
		return ev
	}
	d := make(Detail, 0, o.n+4)
	if o.id.origH.IsValid() {
		d = append(d, DetailField{"id.orig_h", o.id.origH.String()}, DetailField{"id.orig_p", strconv.Itoa(int(o.id.origP))})
	}
	if o.id.respH.IsValid() {
		d = append(d, DetailField{"id.resp_h", o.id.respH.String()}, DetailField{"id.resp_p", strconv.Itoa(int(o.id.respP))})
	}
	for _, p := range o.kvs[:o.n] {
		d = d.set(p.k, p.v)
	}
	ev.Detail = d
	return ev
}

// hits returns the rules that fire on key=value (cached: in the recent
// answers' table, then the map).
func (inv *Inventory) hits(key, value string) []ruleHit {
	slot := inv.recentHits.slot(key, value)
	if slot.key == key && slot.value == value && slot.valid {
		return slot.hits
	}
	h := inv.matchedHits(key, value)
	*slot = hitSlot{key: key, value: value, hits: h, valid: true}
	return h
}

// matchedHits is hits without the recent answers.
func (inv *Inventory) matchedHits(key, value string) []ruleHit {
	k := obsKey{key, value}
	if h, ok := inv.matchCache[k]; ok {
		return h
	}
	h := inv.rules.matchObservation(key, value)
	if len(inv.matchCache) >= maxMatchCache {
		clear(inv.matchCache)
	}
	inv.matchCache[k] = h
	return h
}

// observe applies the rules to an observation about the host t, whose
// entity is e. It returns the service name a rule gives, if any.
func (inv *Inventory) observe(e *entity, t target, o *obs) string {
	if e == nil || o.value == "" {
		return ""
	}
	service := ""
	for _, h := range inv.hits(o.key, o.value) {
		r := h.rule
		// A rule mostly gives one or two of these: the others are
		// skipped here rather than in a call.
		if h.os != "" {
			e.castVote(voteOS, h.os, r.ID, r.Confidence, o)
		}
		if h.class != "" {
			e.castVote(voteClass, h.class, r.ID, r.Confidence, o)
		}
		if h.device != "" {
			e.castVote(voteDevice, h.device, r.ID, r.Confidence, o)
		}
		if h.role != "" {
			e.castVote(voteRole, h.role, r.ID, r.Confidence, o)
		}
		if h.sv != "" && service == "" {
			service = h.sv
		}
		if r.Finding != "" {
			inv.raise(r.Finding, t, o, "", r.ID)
		}
	}
	return service
}

// castVote adds rule's vote for value (nothing when value is empty), or
// counts it again; the vote keeps the earliest observation as evidence.
func (e *entity) castVote(kind voteKind, value, rule string, conf float64, o *obs) {
	if value == "" {
		return
	}
	if v := e.bumpVote(kind, rule, value); v == nil {
		e.addVote(kind, value, rule, conf, o)
	} else if earlier(o.ts, o.uid, v.ev.TS, v.ev.UID) {
		v.ev = o.evidence(rule, conf)
	}
}

// bumpVote counts another firing of a vote the entity has and returns
// it; nil when it has none such.
func (e *entity) bumpVote(kind voteKind, rule, value string) *vote {
	for i := range e.votes {
		v := &e.votes[i]
		if v.kind == kind && v.rule == rule && v.value == value {
			v.count++
			return v
		}
	}
	return nil
}

// earlier reports whether an observation at ts in connection uid comes
// before one at ts2 in uid2: evidence keeps the earliest, so that it does
// not depend on the order in which several workers' records arrive.
func earlier(ts float64, uid string, ts2 float64, uid2 string) bool {
	return ts < ts2 || ts == ts2 && uid < uid2
}

// hitTable keeps hits's recent answers in a direct-mapped table: each
// key=value has one slot, that holds the last observation to land there.
// The values observed (the interned names and software, a client's user
// agent) are mostly the strings made for the previous records, so that
// comparing them is cheap; hashing them and the key for the map is not.
type hitTable [hitSlots]hitSlot

// hitSlot is one key=value and the rules that fire on it.
type hitSlot struct {
	key, value string
	hits       []ruleHit
	valid      bool
}

const hitBits = 10
const hitSlots = 1 << hitBits

// slot returns the slot of key=value: a hash of value's length and of
// its first and last eight bytes (all of them when it is shorter), and of
// key's length and last byte.
func (t *hitTable) slot(key, value string) *hitSlot {
	x := endsHash(value)
	x ^= uint64(len(value)) | uint64(len(key))<<16
	if len(key) > 0 {
		x ^= uint64(key[len(key)-1]) << 24
	}
	x *= 0x9e3779b97f4a7c15
	return &t[x>>(64-hitBits)]
}

// endsHash mixes s's first and last eight bytes (all of them when it is
// shorter) into a word: the start of the memo tables' slot hashes.
func endsHash(s string) uint64 {
	var x uint64
	if n := len(s); n >= 8 {
		x = le64(s[:8]) ^ bits.RotateLeft64(le64(s[n-8:]), 29)
	} else {
		for i := 0; i < n; i++ {
			x = x<<8 | uint64(s[i])
		}
	}
	return x
}

// le64 reads the eight bytes of s as a little-endian number.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
