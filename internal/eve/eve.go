// Package eve reads Suricata's EVE JSON output (eve.json: one JSON object
// per line, each with an event_type) into what Vigil stores and correlates:
//
//   - alert events become Vigil alerts (internal/detect/alert): addresses,
//     ports and transport as given, the time parsed from Suricata's
//     format (2019-09-18T13:21:43.123456+0000), a class from the rule's
//     classification (Category) — scan.signature, c2.signature,
//     ids.exploit, ids.compromise, ids.dos, ids.info_leak, ids.policy,
//     else the generic ids.alert —, a severity from Suricata's (1 → high,
//     2 → medium, 3 → info, raised to the class's own where that is
//     higher), the signature as summary and act, and the signature id,
//     generator, revision, category, Suricata severity, action, flow id,
//     application protocol and community id as evidence. Alerts Vigil
//     itself exported to EVE (a "vigil" object) keep their Vigil fields.
//   - flow, dns, http and tls events become Zeek-style conn, dns, http and
//     ssl records (the field names the store and the detectors read), so
//     the flows, names and TLS servers Suricata saw are stored, searched
//     and analysed like Vigil's own. tls.fingerprint, the server
//     certificate's SHA-1, becomes ssl.log cert_chain_fps_sha1.
//
// A connection's records and alerts share one uid made from Suricata's
// flow_id, so an incident's evidence finds its flows. Parsing uses
// internal/record/rec (no allocation per field); a line that is not a JSON
// object, has no event_type, or no valid timestamp or addresses is
// malformed: Reader counts such lines and skips them.
package eve

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Event is one parsed EVE line. Its byte slices alias the line given to
// Parse and are valid until the next Parse.
type Event struct {
	TS          float64 // epoch seconds
	Type        string  // event_type
	FlowID      uint64
	Src, Dst    netip.Addr
	SrcPort     uint16
	DstPort     uint16
	Proto       string // conn.log's transport name: tcp, udp, icmp, sctp … ("" when absent)
	AppProto    string
	CommunityID string
	// ICMPType and ICMPCode are -1 when absent.
	ICMPType, ICMPCode int
	// Raw objects of the event: alert, flow, tcp, dns, http, tls and
	// vigil (Vigil's own fields in its EVE export); nil when absent.
	Alert, Flow, TCP, DNS, HTTP, TLS, Vigil []byte
	Line                                    []byte
}

// UID is the uid of the event's connection: "E" and the flow id in base
// 36 ("" without a flow id).
func (e *Event) UID() string {
	if e.FlowID == 0 {
		return ""
	}
	return "E" + strconv.FormatUint(e.FlowID, 36)
}

// Parser parses EVE lines; it keeps its field indexes between calls. Not
// safe for concurrent use.
type Parser struct {
	r, sub, sub2 rec.Rec
}

// ParseTime parses an EVE timestamp: RFC 3339 with an offset written
// "+0000" (Suricata) or "+00:00"/"Z", any fraction of a second.
func ParseTime(s string) (float64, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999-0700", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return float64(t.UnixNano()) / 1e9, nil
		}
	}
	return 0, fmt.Errorf("eve: timestamp %q is not in Suricata's format (2006-01-02T15:04:05.000000+0000)", s)
}

// Errors of Parse.
var (
	ErrNotObject = errors.New("eve: not a JSON object")
	ErrNoType    = errors.New("eve: no event_type")
)

// Parse reads one line into e. It returns an error for a malformed line:
// not a JSON object, no event_type, a missing or invalid timestamp, or an
// address, port or object that is there but invalid.
func (p *Parser) Parse(line []byte, e *Event) error {
	*e = Event{ICMPType: -1, ICMPCode: -1, Line: line}
	r := &p.r
	if r.Parse("", line) != nil {
		return ErrNotObject
	}
	e.Type = r.Str("event_type")
	if e.Type == "" || len(r.Bytes("event_type")) == 0 {
		return ErrNoType
	}
	ts, err := ParseTime(r.Str("timestamp"))
	if err != nil {
		return err
	}
	e.TS = ts
	for _, a := range []struct {
		key  string
		addr *netip.Addr
	}{{"src_ip", &e.Src}, {"dest_ip", &e.Dst}} {
		if !r.Has(a.key) {
			continue
		}
		if *a.addr = r.Addr(a.key); !a.addr.IsValid() {
			return fmt.Errorf("eve: %s %q is not an address", a.key, r.Str(a.key))
		}
	}
	for _, pt := range []struct {
		key  string
		port *uint16
	}{{"src_port", &e.SrcPort}, {"dest_port", &e.DstPort}} {
		if !r.Has(pt.key) {
			continue
		}
		n, ok := r.Num(pt.key)
		if !ok || n < 0 || n > 65535 || n != math.Trunc(n) {
			return fmt.Errorf("eve: %s %q is not a port", pt.key, r.Str(pt.key))
		}
		*pt.port = uint16(n)
	}
	for _, ic := range []struct {
		key string
		v   *int
	}{{"icmp_type", &e.ICMPType}, {"icmp_code", &e.ICMPCode}} {
		if n, ok := r.Num(ic.key); ok && n >= 0 && n <= 255 {
			*ic.v = int(n)
		}
	}
	if r.Has("flow_id") {
		n, ok := r.Num("flow_id")
		if !ok || n < 0 {
			return fmt.Errorf("eve: flow_id %q is not a number", r.Str("flow_id"))
		}
		e.FlowID = r.Uint("flow_id")
	}
	e.Proto = protoName(r.Str("proto"))
	e.AppProto = r.Str("app_proto")
	e.CommunityID = r.Str("community_id")
	for _, o := range []struct {
		key string
		raw *[]byte
	}{{"alert", &e.Alert}, {"flow", &e.Flow}, {"tcp", &e.TCP}, {"dns", &e.DNS}, {"http", &e.HTTP}, {"tls", &e.TLS}, {"vigil", &e.Vigil}} {
		v, ok := r.Raw(o.key)
		if !ok || string(v) == "null" {
			continue
		}
		if len(v) == 0 || v[0] != '{' || p.sub.Parse("", v) != nil {
			return fmt.Errorf("eve: %s is not an object", o.key)
		}
		*o.raw = v
	}
	if e.Type == "alert" && e.Alert == nil {
		return errors.New("eve: alert event without an alert object")
	}
	return nil
}

// protoName turns EVE's transport ("TCP", "UDP", "ICMP", "IPv6-ICMP",
// "017") into conn.log's (tcp, udp, icmp: ICMPv6 is icmp, as in Zeek).
func protoName(s string) string {
	switch strings.ToLower(s) {
	case "":
		return ""
	case "tcp", "006", "6":
		return "tcp"
	case "udp", "017", "17":
		return "udp"
	case "icmp", "ipv6-icmp", "icmpv6", "icmp6", "001", "1", "058", "58":
		return "icmp"
	case "sctp", "132":
		return "sctp"
	case "gre", "047", "47":
		return "gre"
	case "esp", "050", "50":
		return "esp"
	case "ah", "051", "51":
		return "ah"
	}
	return "unknown_transport"
}

// categoryClass maps Suricata classification texts (classification.config)
// to Vigil classes; the others are ids.alert.
var categoryClass = map[string]string{
	"detection of a network scan":                         "scan.signature",
	"attempted information leak":                          "ids.info_leak",
	"information leak":                                    "ids.info_leak",
	"large scale information leak":                        "ids.info_leak",
	"attempted administrator privilege gain":              "ids.exploit",
	"attempted user privilege gain":                       "ids.exploit",
	"unsuccessful user privilege gain":                    "ids.exploit",
	"possible social engineering attempted":               "ids.exploit",
	"web application attack":                              "ids.exploit",
	"executable code was detected":                        "ids.exploit",
	"exploit kit activity detected":                       "ids.exploit",
	"attempt to login by a default username and password": "ids.exploit",
	"successful administrator privilege gain":             "ids.compromise",
	"successful user privilege gain":                      "ids.compromise",
	"successful credential theft detected":                "ids.compromise",
	"a network trojan was detected":                       "c2.signature",
	"malware command and control activity detected":       "c2.signature",
	"domain observed used for c2 detected":                "c2.signature",
	"targeted malicious activity was detected":            "c2.signature",
	"attempted denial of service":                         "ids.dos",
	"denial of service":                                   "ids.dos",
	"detection of a denial of service attack":             "ids.dos",
	"potential corporate privacy violation":               "ids.policy",
	"inappropriate content was detected":                  "ids.policy",
	"crypto currency mining activity detected":            "ids.policy",
	"possibly unwanted program detected":                  "ids.policy",
	"device retrieving external ip address detected":      "ids.policy",
}

// ClassOf returns the Vigil class of a Suricata category.
func ClassOf(category string) string {
	if c, ok := categoryClass[strings.ToLower(strings.TrimSpace(category))]; ok {
		return c
	}
	return "ids.alert"
}

// Severity maps Suricata's severity (1 high … 3 low; 4 and more from
// custom classifications) to Vigil's: 1 → high, 2 → medium, 3 and more
// → info; a class whose own severity is higher (ids.compromise: critical,
// c2.signature: high, scan.signature: medium …) raises it.
func Severity(suricata int, class string) int {
	s := alert.Info
	switch {
	case suricata == 1:
		s = alert.High
	case suricata == 2:
		s = alert.Medium
	}
	if c := alert.Lookup(class).Severity; c > 0 && c < s {
		s = c
	}
	return s
}

// Alert returns the Vigil alert of an alert event (false for other
// events).
func (p *Parser) Alert(e *Event) (alert.Alert, bool) {
	if e.Type != "alert" || e.Alert == nil {
		return alert.Alert{}, false
	}
	a := alert.Alert{TS: e.TS, UID: e.UID(), Src: addrString(e.Src), Dst: addrString(e.Dst),
		SrcP: e.SrcPort, DstP: e.DstPort, Proto: e.Proto, Detector: "suricata"}
	if e.Proto == "icmp" && e.ICMPType >= 0 {
		a.SrcP, a.DstP = uint16(e.ICMPType), uint16(max(e.ICMPCode, 0))
	}
	if a.UID != "" {
		a.UIDs = []string{a.UID}
	}
	s := &p.sub
	if s.Parse("", e.Alert) != nil {
		return alert.Alert{}, false
	}
	sig, cat := s.Str("signature"), s.Str("category")
	sid, gid, rev := s.Uint("signature_id"), s.Uint("gid"), s.Uint("rev")
	sev, _ := s.Num("severity")
	// Suricata 7 names the attacker and the target when the rule says
	// which side is which.
	for _, side := range []struct {
		key  string
		addr *string
		port *uint16
	}{{"source", &a.Src, &a.SrcP}, {"target", &a.Dst, &a.DstP}} {
		if v, ok := s.Raw(side.key); ok && len(v) > 0 && v[0] == '{' && p.sub2.Parse("", v) == nil {
			if ip := p.sub2.Addr("ip"); ip.IsValid() {
				*side.addr = ip.String()
				if n, ok := p.sub2.Num("port"); ok && n >= 0 && n <= 65535 {
					*side.port = uint16(n)
				}
			}
		}
	}
	a.Class = ClassOf(cat)
	a.Severity = Severity(int(sev), a.Class)
	a.Confidence = 0.8
	a.Name = "sid:" + strconv.FormatUint(gid, 10) + ":" + strconv.FormatUint(sid, 10)
	if v, ok := s.Raw("metadata"); ok && len(v) > 0 && v[0] == '{' && p.sub2.Parse("", v) == nil {
		for _, k := range []string{"mitre_technique_id", "mitre_sub_technique_id"} {
			a.MITRE = appendUnique(a.MITRE, p.sub2.Strings(k)...)
		}
	}
	name := sig
	if name == "" {
		name = "signature " + strconv.FormatUint(sid, 10)
	}
	target := a.Dst
	if a.DstP != 0 && a.Proto != "" && a.Proto != "icmp" {
		target += " " + alert.Port(a.DstP, a.Proto)
	}
	a.Act = "triggered Suricata's “" + name + "” against " + target
	a.Summary = a.Src + " triggered Suricata's “" + name + "” against " + target
	if cat != "" {
		a.Summary += " (" + cat + ")"
	}
	a.Evidence = map[string]any{"signature": sig, "signature_id": sid, "gid": gid, "rev": rev,
		"category": cat, "suricata_severity": int(sev), "action": s.Str("action")}
	for k, v := range map[string]any{"flow_id": e.FlowID, "app_proto": e.AppProto, "community_id": e.CommunityID} {
		if v != "" && v != uint64(0) {
			a.Evidence[k] = v
		}
	}
	if e.Vigil != nil {
		p.vigil(e.Vigil, &a)
	}
	return a, true
}

// vigil restores the fields of an alert Vigil itself exported to EVE.
func (p *Parser) vigil(v []byte, a *alert.Alert) {
	s := &p.sub
	if s.Parse("", v) != nil || s.Str("class") == "" {
		return
	}
	a.Class, a.Name = s.Str("class"), ""
	if n, ok := s.Num("severity"); ok && n >= 1 && n <= 4 {
		a.Severity = int(n)
	}
	if n, ok := s.Num("confidence"); ok {
		a.Confidence = n
	}
	if m := s.Strings("mitre"); len(m) > 0 {
		a.MITRE = m
	}
	if sum := s.Str("summary"); sum != "" {
		a.Summary, a.Act = sum, ""
	}
	if u := s.Strings("uids"); len(u) > 0 {
		a.UIDs = u
	}
	a.Dsts = s.Strings("dsts")
	a.Exposed = s.Str("exposed")
	if d := s.Str("detector"); d != "" {
		a.Detector = d
	}
}

func appendUnique(list []string, vals ...string) []string {
	for _, v := range vals {
		if v == "" {
			continue
		}
		found := false
		for _, x := range list {
			found = found || x == v
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// Record returns the Zeek-style record of a flow, dns, http or tls event:
// the log it belongs to (conn, dns, http, ssl) and the JSON object,
// appended to dst. ok is false for other events, and for DNS queries
// (Suricata logs the query and the answer; the answer, which repeats the
// query, makes the one dns.log record as in Zeek).
func (p *Parser) Record(e *Event, dst []byte) (log string, line []byte, ok bool) {
	var raw []byte
	switch e.Type {
	case "flow":
		log, raw = "conn", e.Flow
	case "dns":
		log, raw = "dns", e.DNS
	case "http":
		log, raw = "http", e.HTTP
	case "tls":
		log, raw = "ssl", e.TLS
	default:
		return "", dst, false
	}
	if raw == nil || !e.Src.IsValid() || !e.Dst.IsValid() {
		return "", dst, false
	}
	s := &p.sub
	if s.Parse("", raw) != nil {
		return "", dst, false
	}
	ts := e.TS
	if log == "conn" {
		if t, err := ParseTime(s.Str("start")); err == nil {
			ts = t
		}
	}
	orig, origP, resp, respP := e.Src, e.SrcPort, e.Dst, e.DstPort
	if e.Proto == "icmp" && e.ICMPType >= 0 {
		origP, respP = uint16(e.ICMPType), uint16(max(e.ICMPCode, 0))
	}
	if log == "dns" && dnsV1Answer(s) {
		// EVE DNS version 1 (Suricata 2 to 4) logs an answer in the
		// response's direction: the client is its destination.
		orig, origP, resp, respP = resp, respP, orig, origP
	}
	dst = append(dst, `{"ts":`...)
	dst = record.AppendTime(dst, int64(math.Round(ts*1e6))*1000)
	dst = record.AppendConnID(dst, e.UID(), orig, origP, resp, respP)
	switch log {
	case "conn":
		if !p.connFields(e, &dst, ts) {
			return "", dst, false
		}
	case "dns":
		if !p.dnsFields(&dst) {
			return "", dst, false
		}
	case "http":
		dst = appendStrings(dst, s, [][2]string{{"method", "http_method"}, {"host", "hostname"}, {"uri", "url"},
			{"user_agent", "http_user_agent"}, {"referrer", "http_refer"}, {"version", "protocol"}})
		if n, ok := s.Num("status"); ok {
			dst = record.AppendUintField(dst, "status_code", uint64(max(n, 0)))
		}
		if n, ok := s.Num("length"); ok {
			dst = record.AppendUintField(dst, "response_body_len", uint64(max(n, 0)))
		}
	case "ssl":
		dst = record.AppendStringField(dst, "version", tlsVersion(s.Str("version")))
		dst = appendStrings(dst, s, [][2]string{{"server_name", "sni"}, {"subject", "subject"}, {"issuer", "issuerdn"}})
		if v, ok := s.Raw("ja3"); ok && len(v) > 0 && v[0] == '{' && p.sub2.Parse("", v) == nil {
			if h := p.sub2.Str("hash"); h != "" {
				dst = record.AppendStringField(dst, "ja3", h)
			}
		}
		if v, ok := s.Raw("ja3s"); ok && len(v) > 0 && v[0] == '{' && p.sub2.Parse("", v) == nil {
			if h := p.sub2.Str("hash"); h != "" {
				dst = record.AppendStringField(dst, "ja3s", h)
			}
		}
		if h := s.Str("ja4"); h != "" {
			dst = record.AppendStringField(dst, "ja4", h)
		}
		if fp, ok := certSHA1(s.Str("fingerprint")); ok {
			dst = record.AppendStringsField(dst, "cert_chain_fps_sha1", []string{fp})
		}
	}
	if e.CommunityID != "" {
		dst = record.AppendStringField(dst, "community_id", e.CommunityID)
	}
	dst = record.AppendStringField(dst, "source", "suricata")
	return log, append(dst, '}'), true
}

// connFields appends a flow event's conn.log fields. Suricata counts
// whole packets, so its byte counts are the IP byte counts (with the
// link-layer header); the payload bytes conn.log's detectors read
// (orig_bytes, resp_bytes) are estimated from them, less each packet's
// headers (payloadEstimate). A TCP flow's history and conn_state are
// made from the flags each side sent (the event's tcp object), as Zeek
// would have set them; without them every flow would look like a probe
// or a SYN flood's.
func (p *Parser) connFields(e *Event, dst *[]byte, start float64) bool {
	s, d := &p.sub, *dst
	if e.Proto != "" {
		d = record.AppendStringField(d, "proto", e.Proto)
	}
	if app := e.AppProto; app != "" && app != "failed" {
		d = record.AppendStringField(d, "service", strings.ToLower(app))
	}
	if end, err := ParseTime(s.Str("end")); err == nil && end >= start {
		d = append(record.AppendKey(d, "duration"), strconv.FormatFloat(end-start, 'f', 6, 64)...)
	}
	var c flowCounts
	for _, f := range []struct {
		key, from string
		n         *uint64
	}{{"orig_pkts", "pkts_toserver", &c.origPkts}, {"orig_ip_bytes", "bytes_toserver", &c.origBytes},
		{"resp_pkts", "pkts_toclient", &c.respPkts}, {"resp_ip_bytes", "bytes_toclient", &c.respBytes}} {
		if n, ok := s.Num(f.from); ok && n >= 0 && n < 1<<63 {
			*f.n = uint64(n)
			d = record.AppendUintField(d, f.key, *f.n)
		}
	}
	hdr := headerBytes(e.Proto, e.Src.Is6())
	c.origData, c.respData = payloadEstimate(c.origBytes, c.origPkts, hdr), payloadEstimate(c.respBytes, c.respPkts, hdr)
	history, state := "", ""
	if e.Proto == "tcp" && e.TCP != nil && p.sub2.Parse("", e.TCP) == nil {
		if ts, tc, ok := tcpFlags(&p.sub2); ok {
			if ts&flagACK == 0 { // no data before the originator's ACK: what the estimate
				c.origData, c.respData = 0, 0 // finds is SYN and SYN-ACK options
			}
			if tc&flagACK == 0 {
				c.respData = 0
			}
			history, state = tcpHistory(ts, tc, c), connState(ts, tc, c.respPkts)
		}
	}
	if e.Proto == "tcp" && state == "" && c.origData+c.respData > 0 {
		// No flags known (no tcp object, or Suricata kept no session:
		// a flow picked up mid-stream): what the byte counts show, data
		// with no handshake, as Zeek logs a connection picked up
		// mid-stream.
		history, state = dataHistory(c), "OTH"
	}
	d = record.AppendUintField(d, "orig_bytes", c.origData)
	d = record.AppendUintField(d, "resp_bytes", c.respData)
	if state != "" {
		d = record.AppendStringField(d, "conn_state", state)
		d = record.AppendStringField(d, "history", history)
	}
	if st := s.Str("state"); st != "" {
		d = record.AppendStringField(d, "suricata_state", st)
	}
	*dst = d
	return true
}

// flowCounts are a flow event's packets and bytes each way, and the
// payload bytes estimated from them.
type flowCounts struct {
	origPkts, origBytes, origData uint64
	respPkts, respBytes, respData uint64
}

// headerBytes is what a packet of proto carries besides its payload, as
// Suricata counts it: Ethernet, the IP header, and TCP's with the
// timestamp option most stacks send, UDP's or ICMP's. A SYN's or
// SYN-ACK's longer options would make a few bytes of a handshake: the
// payload of a side is counted only once the originator acknowledged.
func headerBytes(proto string, v6 bool) uint64 {
	n := uint64(14 + 20)
	if v6 {
		n = 14 + 40
	}
	switch proto {
	case "tcp":
		return n + 32
	case "udp", "icmp":
		return n + 8
	}
	return n
}

// payloadEstimate is bytes less hdr per packet (0 when that is more).
func payloadEstimate(bytes, pkts, hdr uint64) uint64 {
	if pkts > bytes/hdr {
		return 0
	}
	return bytes - pkts*hdr
}

// TCP flag bits as Suricata writes them (tcp_flags_ts, tcp_flags_tc: hex).
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

// tcpFlags reads the flags each side of a TCP flow sent (tcp_flags_ts,
// tcp_flags_tc). ok is false when they are not known: missing, or both
// zero, as Suricata writes them for a flow it kept no TCP session for
// (one whose SYN it missed). The flags of both sides together
// (tcp_flags) are not used: they would credit a spoofed SYN's sender with
// the answer's ACK.
func tcpFlags(t *rec.Rec) (ts, tc uint8, ok bool) {
	ts, okTS := hexFlags(t.Str("tcp_flags_ts"))
	tc, okTC := hexFlags(t.Str("tcp_flags_tc"))
	return ts, tc, (okTS || okTC) && ts|tc != 0
}

// tcpHistory makes a Zeek history from the flags each side sent and the
// payload each carried (the order of its letters is not known: they come
// in the order a connection usually sends them). The responder's acks
// count ('a') when it sent more than its one answer (a SYN-ACK or a
// reset).
func tcpHistory(ts, tc uint8, c flowCounts) string {
	return history(
		seen{ts&flagSYN != 0, 'S'}, seen{tc&(flagSYN|flagACK) == flagSYN|flagACK, 'h'},
		seen{ts&flagACK != 0, 'A'}, seen{c.origData > 0, 'D'},
		seen{tc&flagACK != 0 && c.respPkts > 1, 'a'}, seen{c.respData > 0, 'd'},
		seen{ts&flagFIN != 0, 'F'}, seen{tc&flagFIN != 0, 'f'}, seen{ts&flagRST != 0, 'R'}, seen{tc&flagRST != 0, 'r'})
}

// dataHistory is the history of a flow known only by its packet and byte
// counts, one that carried data: every packet of an exchange under way
// acknowledges ('A', 'a' for the sides that sent any), and 'D', 'd' mark
// the sides that carried payload.
func dataHistory(c flowCounts) string {
	return history(seen{c.origPkts > 0, 'A'}, seen{c.origData > 0, 'D'}, seen{c.respPkts > 0, 'a'}, seen{c.respData > 0, 'd'})
}

// seen is a history letter and whether the flow shows it.
type seen struct {
	set    bool
	letter byte
}

// history writes the letters set, in order.
func history(letters ...seen) string {
	var h []byte
	for _, l := range letters {
		if l.set {
			h = append(h, l.letter)
		}
	}
	return string(h)
}

// connState is Zeek's conn_state for the flags each side sent.
func connState(ts, tc uint8, respPkts uint64) string {
	syn, synAck := ts&flagSYN != 0, tc&(flagSYN|flagACK) == flagSYN|flagACK
	switch {
	case !syn && !synAck:
		return "OTH" // picked up mid-stream
	case syn && respPkts == 0:
		if ts&flagRST != 0 {
			return "RSTOS0"
		}
		if ts&flagFIN != 0 {
			return "SH"
		}
		return "S0"
	case syn && !synAck:
		if tc&flagRST != 0 {
			return "REJ"
		}
		return "OTH"
	case !syn: // the responder's SYN-ACK only
		if tc&flagRST != 0 {
			return "RSTRH"
		}
		if tc&flagFIN != 0 {
			return "SHR"
		}
		return "OTH"
	case tc&flagRST != 0:
		return "RSTR"
	case ts&flagRST != 0:
		return "RSTO"
	case ts&flagFIN != 0 && tc&flagFIN != 0:
		return "SF"
	case ts&flagFIN != 0:
		return "S2"
	case tc&flagFIN != 0:
		return "S3"
	}
	return "S1"
}

// hexFlags reads Suricata's hex flag byte ("1b").
func hexFlags(s string) (uint8, bool) {
	n, err := strconv.ParseUint(s, 16, 8)
	return uint8(n), err == nil
}

// dnsFields appends a dns event's dns.log fields: EVE version 1 (one
// event per answer record: dnsV1Answer), 2 (one event per query and per
// answer: rrname, rrtype, rcode, answers) and 3 (queries[] and answers[]
// in one event). Queries are left out.
func (p *Parser) dnsFields(dst *[]byte) bool {
	s := &p.sub
	typ := s.Str("type")
	if typ == "query" || typ == "request" {
		return false
	}
	query, qtype := s.Str("rrname"), s.Str("rrtype")
	if v, ok := s.Raw("queries"); ok {
		if q := rec.FirstElement(v); q != nil && p.sub2.Parse("", q) == nil {
			query, qtype = p.sub2.Str("rrname"), p.sub2.Str("rrtype")
		}
	}
	d := *dst
	if n, ok := s.Num("id"); ok && n >= 0 {
		d = record.AppendUintField(d, "trans_id", uint64(n))
	}
	d = record.AppendStringField(d, "query", query)
	d = record.AppendStringField(d, "qtype_name", qtype)
	if rc := s.Str("rcode"); rc != "" {
		d = record.AppendStringField(d, "rcode_name", rc)
	}
	*dst = p.appendAnswers(d, s)
	return true
}

// appendAnswers appends a dns event's answers as dns.log's "answers"
// array, left out when there are none. The event's arrays are walked one
// element at a time into the record: an array of millions of elements
// costs no list of them.
func (p *Parser) appendAnswers(d []byte, s *rec.Rec) []byte {
	start := len(d)
	d = append(record.AppendKey(d, "answers"), '[')
	l := answerList{d: d, open: len(d)}
	if v, ok := s.Raw("answers"); ok {
		for a := range rec.ElementsSeq(v) {
			if p.sub2.Parse("", a) == nil {
				l.add(p.sub2.Str("rdata"))
			}
		}
	} else if dnsV1Answer(s) {
		l.add(s.Str("rdata"))
	} else if v, ok := s.Raw("grouped"); ok && len(v) > 0 && v[0] == '{' && p.sub2.Parse("", v) == nil {
		p.sub2.ForEach(func(_, val []byte) {
			for a := range rec.ElementsSeq(val) {
				if a[0] == '"' {
					l.add(rec.Text(a))
				}
			}
		})
	}
	if len(l.d) == l.open {
		return l.d[:start]
	}
	return append(l.d, ']')
}

// answerList is a JSON array of strings being written: d from open on.
type answerList struct {
	d    []byte
	open int
}

// add appends rd, unless it is empty.
func (l *answerList) add(rd string) {
	if rd == "" {
		return
	}
	if len(l.d) > l.open {
		l.d = append(l.d, ',')
	}
	l.d = record.AppendString(l.d, rd)
}

// dnsV1Answer tells an answer of EVE DNS version 1 (Suricata 2 to 4):
// one event per answer record, its rdata at the top of the dns object, no
// "version" (later formats write theirs). Each becomes a dns.log record
// of its own (an answer of two records makes two).
func dnsV1Answer(s *rec.Rec) bool {
	return s.Str("type") == "answer" && !s.Has("version") && !s.Has("answers") && !s.Has("grouped")
}

// appendStrings appends the string fields of s named by each pair's second
// element under the first one, when present.
func appendStrings(dst []byte, s *rec.Rec, pairs [][2]string) []byte {
	for _, f := range pairs {
		if v := s.Str(f[1]); v != "" {
			dst = record.AppendStringField(dst, f[0], v)
		}
	}
	return dst
}

// Cert returns the x509.log record of a tls event's server certificate,
// appended to dst: fingerprint_sha1 (EVE has no SHA-256), subject,
// issuer, serial and validity dates, so that certificate checks (self-
// signed, expired) and indicators work on Suricata's TLS events too. ok
// is false for other events and for a tls event without a certificate
// fingerprint (a resumed session, TLS 1.3).
func (p *Parser) Cert(e *Event, dst []byte) ([]byte, bool) {
	if e.Type != "tls" || e.TLS == nil {
		return dst, false
	}
	s := &p.sub
	if s.Parse("", e.TLS) != nil {
		return dst, false
	}
	fp, ok := certSHA1(s.Str("fingerprint"))
	if !ok {
		return dst, false
	}
	dst = append(dst, `{"ts":`...)
	dst = record.AppendTime(dst, int64(math.Round(e.TS*1e6))*1000)
	dst = record.AppendStringField(dst, "fingerprint_sha1", fp)
	dst = appendStrings(dst, s, [][2]string{{"certificate.subject", "subject"}, {"certificate.issuer", "issuerdn"},
		{"certificate.serial", "serial"}})
	for _, f := range [][2]string{{"certificate.not_valid_before", "notbefore"}, {"certificate.not_valid_after", "notafter"}} {
		if t, err := ParseTime(s.Str(f[1])); err == nil {
			dst = record.AppendTime(record.AppendKey(dst, f[0]), int64(math.Round(t*1e6))*1000)
		}
	}
	dst = record.AppendBoolField(dst, "host_cert", true)
	dst = record.AppendStringField(dst, "source", "suricata")
	return append(dst, '}'), true
}

// certSHA1 turns EVE's tls.fingerprint, the server certificate's SHA-1
// as colon-separated hex, into ssl.log's form (cert_chain_fps_sha1:
// lower-case hex); ok is false when it is not a SHA-1.
func certSHA1(fp string) (string, bool) {
	h := strings.ToLower(strings.ReplaceAll(fp, ":", ""))
	if len(h) != 40 || strings.Trim(h, "0123456789abcdef") != "" {
		return "", false
	}
	return h, true
}

// tlsVersion turns EVE's TLS version ("TLS 1.2", "TLSv1.3", "SSLv3")
// into ssl.log's ("TLSv12", "TLSv13", "SSLv3").
func tlsVersion(v string) string {
	x := strings.ReplaceAll(strings.ReplaceAll(v, " ", ""), "TLSv", "TLS")
	if rest, ok := strings.CutPrefix(x, "TLS"); ok && rest != "" {
		return "TLSv" + strings.ReplaceAll(rest, ".", "")
	}
	return v
}
