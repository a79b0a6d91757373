package store

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// parser turns JSON records into rows. It keeps its field index between
// calls; one parser per goroutine.
type parser struct {
	f   fields
	sub fields
}

// fields reads the store's columns from a record (rec's field index) the
// lenient way the store wants: numbers also when written as strings, 0
// and "" when absent, lists of any values as text.
type fields struct {
	r      rec.Rec
	shared map[string]string // interned values of repeating fields
}

// maxShared bounds the interned values; past it the table starts over.
const maxShared = 1 << 16

// common returns the raw string value v like str, with one copy shared by
// every row that has the same value: addresses, protocols, services,
// states and history letters repeat from row to row, and a row of a batch
// then costs no allocation for them.
func (f *fields) common(v []byte) string {
	if len(v) < 2 || v[0] != '"' || len(v) > 66 || bytes.IndexByte(v, '\\') >= 0 {
		return rec.Text(v)
	}
	b := v[1 : len(v)-1]
	if s, ok := f.shared[string(b)]; ok {
		return s
	}
	if f.shared == nil || len(f.shared) >= maxShared {
		f.shared = make(map[string]string, 1024)
	}
	s := string(b)
	f.shared[s] = s
	return s
}

func (f *fields) parse(line []byte) bool { return f.r.Parse("", line) == nil }

func (f *fields) raw(key string) []byte {
	v, _ := f.r.Raw(key)
	return v
}

func (f *fields) str(key string) string { return f.r.Str(key) }

func (f *fields) num(key string) float64 {
	v, _ := f.r.Raw(key)
	return rawNum(v)
}

func (f *fields) int(key string) int64 {
	v, _ := f.r.Raw(key)
	return rawInt(v)
}

func (f *fields) bool(key string) bool {
	b, _ := f.r.Bool(key)
	return b
}

// strs returns key's value as a list: the elements of an array as text,
// a single value as a one-element list, nil when absent.
func (f *fields) strs(key string) []string {
	v := f.raw(key)
	if len(v) == 0 || v[0] != '[' {
		if s := rec.Text(v); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for e := range rec.ElementsSeq(v) {
		out = append(out, rec.Text(e))
	}
	return out
}

// keysOf returns the keys of the JSON object v.
func keysOf(v []byte) []string {
	var r rec.Rec
	if r.Parse("", v) != nil {
		return nil
	}
	var out []string
	r.ForEach(func(k, _ []byte) { out = append(out, string(k)) })
	return out
}

// conn reads a conn.log record in one pass over its fields (the busiest
// log: a field lookup each would scan the keys seventeen times).
func (p *parser) conn(c *Conn) {
	f := &p.f
	*c = Conn{}
	f.r.ForEach(func(k, v []byte) {
		switch string(k) {
		case "ts":
			c.TS = rawNum(v)
		case "uid":
			c.UID = rec.Text(v)
		case "id.orig_h":
			c.OrigH = f.common(v)
		case "id.orig_p":
			c.OrigP = uint16(rawInt(v))
		case "id.resp_h":
			c.RespH = f.common(v)
		case "id.resp_p":
			c.RespP = uint16(rawInt(v))
		case "proto":
			c.Proto = f.common(v)
		case "service":
			c.Service = f.common(v)
		case "duration":
			c.Duration = rawNum(v)
		case "orig_bytes":
			c.OrigBytes = rawCount(v)
		case "resp_bytes":
			c.RespBytes = rawCount(v)
		case "conn_state":
			c.State = f.common(v)
		case "history":
			c.History = f.common(v)
		case "orig_pkts":
			c.OrigPkts = rawCount(v)
		case "orig_ip_bytes":
			c.OrigIPBytes = rawCount(v)
		case "resp_pkts":
			c.RespPkts = rawCount(v)
		case "resp_ip_bytes":
			c.RespIPBytes = rawCount(v)
		}
	})
	c.IPv = ipVersion(c.OrigH)
}

// rawNum reads a raw value as a number: a JSON number, else its text
// (Zeek TSV logs typed as strings), else 0.
func rawNum(v []byte) float64 {
	if x, ok := rec.Number(v); ok {
		return x
	}
	x, _ := strconv.ParseFloat(rec.Text(v), 64)
	return x
}

// rawInt reads a raw value as an integer: a JSON integer, else its text
// as an integer or a number (truncated), else 0.
func rawInt(v []byte) int64 {
	if n, ok := rec.Unsigned(v); ok && n <= 1<<63-1 {
		return int64(n)
	}
	s := rec.Text(v)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	x, _ := strconv.ParseFloat(s, 64)
	return int64(x)
}

// rawCount reads a raw value as a count of bytes or packets: a negative
// one is 0 and one past the int64 maximum is the maximum (a hostile or
// broken log's -1 or 2^64-1 became the maximum, or a negative count, in
// every sum it entered).
func rawCount(v []byte) int64 {
	if n, ok := rec.Unsigned(v); ok {
		return int64(min(n, math.MaxInt64))
	}
	s := rec.Text(v)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return max(n, 0)
	}
	switch x, _ := strconv.ParseFloat(s, 64); {
	case !(x > 0):
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	default:
		return int64(x)
	}
}

// ipVersion is 6 for an IPv6 address, 4 otherwise (0 when empty).
func ipVersion(a string) uint8 {
	if a == "" {
		return 0
	}
	if strings.IndexByte(a, ':') >= 0 {
		return 6
	}
	return 4
}

func (p *parser) dns(d *DNS) {
	f := &p.f
	*d = DNS{TS: f.num("ts"), UID: f.str("uid"), OrigH: f.str("id.orig_h"), RespH: f.str("id.resp_h"),
		Query: f.str("query"), QType: f.str("qtype_name"), RCode: f.str("rcode_name"),
		Answers: strings.Join(f.strs("answers"), " ")}
}

func (p *parser) http(h *HTTP) {
	f := &p.f
	*h = HTTP{TS: f.num("ts"), UID: f.str("uid"), OrigH: f.str("id.orig_h"), RespH: f.str("id.resp_h"),
		RespP: uint16(f.int("id.resp_p")), Method: f.str("method"), Host: f.str("host"), URI: f.str("uri"),
		Status: int32(f.int("status_code")), UserAgent: f.str("user_agent")}
}

func (p *parser) ssl(s *SSL) {
	f := &p.f
	*s = SSL{TS: f.num("ts"), UID: f.str("uid"), OrigH: f.str("id.orig_h"), RespH: f.str("id.resp_h"),
		RespP: uint16(f.int("id.resp_p")), Version: f.str("version"), ServerName: f.str("server_name"),
		Established: f.bool("established"), JA3: f.str("ja3")}
}

func (p *parser) alert(a *Alert, line []byte) {
	f := &p.f
	*a = Alert{TS: f.num("ts"), TSEnd: f.num("ts_end"), UIDs: f.strs("uids"), Src: f.str("src"), Dst: f.str("dst"),
		Dsts: f.strs("dsts"), Class: f.str("class"), Severity: int32(f.int("severity")), Confidence: f.num("confidence"),
		Detector: f.str("detector"), Summary: f.str("summary"), MITRE: f.strs("mitre"), JSON: string(line)}
	if uid := f.str("uid"); uid != "" && !contains(a.UIDs, uid) {
		a.UIDs = append([]string{uid}, a.UIDs...)
	}
	if a.Severity < 1 || a.Severity > 4 {
		a.Severity = 4
	}
}

func (p *parser) incident(in *Incident, line []byte) {
	f := &p.f
	*in = Incident{ID: first(f.str("id"), f.str("incident_id")),
		First:   firstNum(f.num("first_seen"), f.num("first"), f.num("ts")),
		Last:    firstNum(f.num("last_seen"), f.num("last"), f.num("ts_end")),
		Victims: f.strs("victims"), Stages: f.strs("stages"),
		Severity: int32(f.int("severity")), Score: int32(f.int("score")),
		Narrative: f.str("narrative"), JSON: string(line)}
	in.Attacker = f.str("attacker")
	if in.Attacker == "" {
		if as := f.strs("attackers"); len(as) > 0 {
			in.Attacker = as[0]
		}
	}
	if in.Last < in.First {
		in.Last = in.First
	}
	in.Classes = f.strs("classes")
	if c := f.raw("alert_counts"); len(in.Classes) == 0 && len(c) > 0 && c[0] == '{' {
		in.Classes = keysOf(c)
	}
	in.Alerts = int32(f.int("alerts"))
	if v := f.raw("alerts"); len(v) > 0 && v[0] == '[' {
		in.Alerts = int32(len(rec.Elements(v)))
	}
	if in.ID == "" {
		in.ID = "inc-" + strconv.FormatInt(int64(in.First*1000), 36) + "-" + in.Attacker
	}
}

func (p *parser) asset(a *Asset, line []byte) {
	f := &p.f
	*a = Asset{Key: first(f.str("host"), f.str("key"), f.str("mac")), MAC: f.str("mac"), Vendor: f.str("vendor"),
		FirstSeen: f.num("first_seen"), LastSeen: f.num("last_seen"), JSON: string(line)}
	a.Addrs = p.listOf(f.raw("addrs"), "addr")
	if len(a.Addrs) == 0 {
		a.Addrs = p.listOf(f.raw("addresses"), "addr")
	}
	a.Names = p.listOf(f.raw("names"), "name")
	a.Class, a.ClassConf = p.guess(f.raw("class"))
	a.OS, a.OSConf = p.guess(f.raw("os"))
	a.Device, a.DeviceConf = p.guess(f.raw("device"))
	a.Services = p.services(f.raw("services"))
	a.Findings, a.MaxSeverity = p.findings(f.raw("findings"))
	if t := f.raw("traffic"); len(t) > 0 && t[0] == '{' && p.sub.parse(t) {
		a.BytesSent, a.BytesRecv = rawCount(p.sub.raw("bytes_sent")), rawCount(p.sub.raw("bytes_recv"))
	}
	if a.Key == "" && len(a.Addrs) > 0 {
		a.Key = a.Addrs[0]
	}
}

// listOf returns key of each object in the array v (or the elements
// themselves when they are strings).
func (p *parser) listOf(v []byte, key string) []string {
	var out []string
	for o := range rec.ElementsSeq(v) {
		if len(o) > 0 && o[0] == '{' {
			if p.sub.parse(o) {
				if s := p.sub.str(key); s != "" && !contains(out, s) {
					out = append(out, s)
				}
			}
			continue
		}
		if s := rec.Text(o); s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// guess returns the value and confidence of a guess object ({"value": …,
// "confidence": …}), or a string (confidence 0).
func (p *parser) guess(v []byte) (string, float64) {
	if len(v) > 0 && v[0] == '{' {
		if p.sub.parse(v) {
			return p.sub.str("value"), p.sub.num("confidence")
		}
		return "", 0
	}
	return rec.Text(v), 0
}

func (p *parser) services(v []byte) []string {
	var out []string
	for o := range rec.ElementsSeq(v) {
		if !p.sub.parse(o) {
			continue
		}
		s := p.sub.str("proto") + "/" + p.sub.str("port")
		if name := p.sub.str("service"); name != "" {
			s += " " + name
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) findings(v []byte) ([]string, int32) {
	var out []string
	var sev int32
	for o := range rec.ElementsSeq(v) {
		if !p.sub.parse(o) {
			continue
		}
		c := first(p.sub.str("class"), p.sub.str("kind"))
		if c != "" && !contains(out, c) {
			out = append(out, c)
		}
		if s := int32(p.sub.int("severity")); s > 0 && (sev == 0 || s < sev) {
			sev = s
		}
	}
	return out, sev
}

// recordTS is a record's time: ts, else first_seen or last_seen.
func (p *parser) recordTS() float64 {
	return firstNum(p.f.num("ts"), p.f.num("last_seen"), p.f.num("first_seen"))
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func firstNum(x ...float64) float64 {
	for _, v := range x {
		if v != 0 {
			return v
		}
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
