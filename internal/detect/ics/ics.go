// Package ics detects commands that disrupt an industrial process, sent
// to a PLC, RTU or IED over the ICS protocols Vigil parses (modbus.log,
// dnp3.log, cip.log) → ics.disruptive:
//
//   - Modbus/TCP: a DIAGNOSTICS (function 8) request with sub-function 1
//     RESTART_COMMUNICATIONS_OPTION or 4 FORCE_LISTEN_ONLY_MODE (modbus.log
//     func and sub_function);
//   - DNP3: a request of function 13 COLD_RESTART, 14 WARM_RESTART,
//     18 STOP_APPL or 21 DISABLE_UNSOLICITED (dnp3.log fc_request);
//   - CIP: a request of service 0x05 Reset (of the Identity object, class
//     0x01, a device reset; of another object, its reset) or 0x07 Stop
//     (cip.log cip_service_code, cip_service, class_id).
//
// Ordinary reads and writes are never looked at. One alert is raised per
// (sender, device, protocol, command) episode when the first command is
// seen, and the episode is reported again with its final numbers (how
// many commands, first and last time, connections, how the device
// answered) once it has been quiet for Window seconds. The device's
// answer is read where the log shows it: dnp3.log's fc_reply and iin in
// the same record (RESPONSE is an acknowledgement unless IIN2.0 says the
// function is not supported), a modbus.log RESP of the same connection and
// transaction (DIAGNOSTICS_EXCEPTION is a refusal; a device forced to
// listen-only mode never answers, by the specification), a cip.log
// response of the same connection and service (cip_status_code 0x00 is
// success).
//
// State: at most MaxEpisodes episodes (the longest idle dropped past
// that), each with at most alert.MaxUIDs uids, and at most maxPending
// Modbus and CIP requests awaiting their answer.
package ics

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the detector's settings.
type Config struct {
	Enabled bool `json:"enabled"`
	// Window is how long (s) an episode stays open after its last
	// command: repeats within it are counted in the same alert.
	Window float64 `json:"window_s"`
	// MaxEpisodes bounds the open episodes.
	MaxEpisodes int `json:"max_episodes"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Enabled: true, Window: 600, MaxEpisodes: 10_000}
}

// maxPending bounds the requests awaiting an answer.
const maxPending = 4096

// command describes one disruptive command.
type command struct {
	proto    string // "modbus", "dnp3", "cip"
	name     string // as the log names it
	code     string // function / sub-function / service code
	what     string // for people
	severity int
	mitre    []string
}

type episode struct {
	src, dst    string
	cmd         command
	first, last float64
	count       int
	uids        []string
	class       string // CIP: the object class addressed
	acked       int
	refused     int
	reply       string // the last answer, as the log names it
	reported    int    // count and answers when last reported
	reportedAck int
}

// Detector is the disruptive ICS command detector.
type Detector struct {
	cfg      Config
	episodes map[string]*episode
	// pending maps a request awaiting its answer (uid and transaction or
	// service) to its episode's key.
	pending map[string]pendingReq
}

type pendingReq struct {
	key string
	ts  float64
}

// New returns the detector.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg, episodes: map[string]*episode{}, pending: map[string]pendingReq{}}
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "ics" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"modbus", "dnp3", "cip"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	switch r.Log {
	case "modbus":
		d.modbus(r, emit)
	case "dnp3":
		d.dnp3(r, emit)
	case "cip":
		d.cip(r, emit)
	}
}

var (
	modbusCmds = map[string]command{
		"RESTART_COMMUNICATIONS_OPTION": {"modbus", "DIAGNOSTICS/RESTART_COMMUNICATIONS_OPTION", "8/1", "restart of the device's communications", alert.High, []string{"T0816"}},
		"FORCE_LISTEN_ONLY_MODE":        {"modbus", "DIAGNOSTICS/FORCE_LISTEN_ONLY_MODE", "8/4", "switch to listen-only mode (the device stops answering)", alert.High, []string{"T0813", "T0814"}},
	}
	dnp3Cmds = map[string]command{
		"COLD_RESTART":        {"dnp3", "COLD_RESTART", "13", "cold restart of the outstation", alert.High, []string{"T0816"}},
		"WARM_RESTART":        {"dnp3", "WARM_RESTART", "14", "warm restart of the outstation", alert.High, []string{"T0816"}},
		"STOP_APPL":           {"dnp3", "STOP_APPL", "18", "stop of an application on the outstation", alert.High, []string{"T0813", "T0858"}},
		"DISABLE_UNSOLICITED": {"dnp3", "DISABLE_UNSOLICITED", "21", "disabling of unsolicited reporting", alert.Medium, []string{"T0813"}},
	}
)

func (d *Detector) modbus(r *rec.Rec, emit alert.Emit) {
	switch string(r.Bytes("pdu_type")) {
	case "REQ":
		if string(r.Bytes("func")) != "DIAGNOSTICS" {
			return
		}
		sub := r.Str("sub_function")
		cmd, ok := modbusCmds[sub]
		if !ok {
			switch sub { // a log that numbers them
			case "1":
				cmd, ok = modbusCmds["RESTART_COMMUNICATIONS_OPTION"], true
			case "4":
				cmd, ok = modbusCmds["FORCE_LISTEN_ONLY_MODE"], true
			}
		}
		if !ok {
			return
		}
		c := r.Conn()
		key := d.command(c.Orig.String(), c.Resp.String(), cmd, "", r, emit)
		d.first(key, emit)
		d.await(modbusKey(r), key, r.TS())
	case "RESP":
		f := string(r.Bytes("func"))
		if f != "DIAGNOSTICS" && f != "DIAGNOSTICS_EXCEPTION" {
			return
		}
		p, ok := d.answered(modbusKey(r))
		if !ok {
			return
		}
		if f == "DIAGNOSTICS" {
			d.answer(p, true, "DIAGNOSTICS (echo)")
		} else {
			d.answer(p, false, "DIAGNOSTICS_EXCEPTION "+r.Str("exception"))
		}
	}
}

// modbusKey names a Modbus request awaiting its answer: its connection
// and transaction.
func modbusKey(r *rec.Rec) string { return "modbus|" + r.Str("uid") + "|" + r.Str("tid") }

func (d *Detector) dnp3(r *rec.Rec, emit alert.Emit) {
	cmd, ok := dnp3Cmds[r.Str("fc_request")]
	if !ok {
		return
	}
	c := r.Conn()
	key := d.command(c.Orig.String(), c.Resp.String(), cmd, "", r, emit)
	defer d.first(key, emit)
	reply := r.Str("fc_reply")
	if reply == "" {
		return
	}
	iin := r.Uint("iin")
	switch {
	case reply == "RESPONSE" && iin&0x0001 != 0: // IIN2.0: function code not supported
		d.answer(pendingReq{key: key}, false, fmt.Sprintf("RESPONSE iin=%d (function not supported)", iin))
	case reply == "RESPONSE":
		d.answer(pendingReq{key: key}, true, fmt.Sprintf("RESPONSE iin=%d", iin))
	default:
		// An unsolicited response paired with the request by the log
		// is no answer to it.
		if ep := d.episodes[key]; ep != nil && ep.reply == "" {
			ep.reply = "no response (" + reply + " next)"
		}
	}
}

func (d *Detector) cip(r *rec.Rec, emit alert.Emit) {
	code, err := strconv.ParseUint(r.Str("cip_service_code"), 0, 8)
	if err != nil || code != 0x05 && code != 0x07 {
		return
	}
	c := r.Conn()
	orig := true
	if v, ok := r.Bool("is_orig"); ok {
		orig = v
	}
	src, dst := c.Orig.String(), c.Resp.String()
	if !orig {
		src, dst = dst, src
	}
	pk := "cip|" + r.Str("uid") + "|" + src + "|" + strconv.FormatUint(code, 16)
	if r.Str("direction") == "response" {
		// The answer comes from the device: the request's sender is the
		// other side.
		pk = "cip|" + r.Str("uid") + "|" + dst + "|" + strconv.FormatUint(code, 16)
		p, ok := d.answered(pk)
		if !ok {
			return
		}
		st := r.Str("cip_status_code")
		name := r.Str("cip_status")
		if name == "" {
			name = "status " + st
		}
		if n, err := strconv.ParseUint(st, 0, 8); err == nil && n == 0 {
			d.answer(p, true, name)
		} else {
			d.answer(p, false, name)
		}
		return
	}
	class, className := r.Str("class_id"), r.Str("class_name")
	cmd := command{proto: "cip", code: fmt.Sprintf("0x%02x", code), severity: alert.High}
	name := r.Str("cip_service")
	if name == "" {
		name = map[uint64]string{0x05: "Reset", 0x07: "Stop"}[code]
	}
	cls, _ := strconv.ParseUint(class, 0, 32)
	switch {
	case code == 0x05 && class != "" && cls == 0x01:
		cmd.name, cmd.what, cmd.mitre = name+" Identity", "reset of the device (Identity object)", []string{"T0816"}
	case code == 0x05:
		obj := className
		if obj == "" {
			obj = "class " + class
		}
		if class == "" {
			obj = "an object"
		}
		cmd.name, cmd.what, cmd.mitre, cmd.severity = name, "reset of "+obj, []string{"T0816"}, alert.Medium
	default:
		cmd.name, cmd.what, cmd.mitre = name, "stop of the device or an object", []string{"T0858", "T0813"}
	}
	label := class
	if className != "" {
		label = className + " (" + class + ")"
	}
	key := d.command(src, dst, cmd, label, r, emit)
	d.first(key, emit)
	d.await(pk, key, r.TS())
}

// command counts one disruptive command and returns its episode's key;
// the episode's first command raises the alert.
func (d *Detector) command(src, dst string, cmd command, class string, r *rec.Rec, emit alert.Emit) string {
	ts := r.TS()
	key := cmd.proto + "|" + cmd.name + "|" + src + "|" + dst
	ep := d.episodes[key]
	if ep != nil && ts-ep.last > d.cfg.Window {
		d.end(ep, emit)
		delete(d.episodes, key)
		ep = nil
	}
	if ep == nil {
		if len(d.episodes) >= max(1, d.cfg.MaxEpisodes) {
			d.evict(emit)
		}
		ep = &episode{src: src, dst: dst, cmd: cmd, first: ts, last: ts, class: class}
		d.episodes[key] = ep
	}
	ep.count++
	ep.first, ep.last = min(ep.first, ts), max(ep.last, ts)
	if uid := r.Str("uid"); uid != "" && len(ep.uids) < alert.MaxUIDs && !contains(ep.uids, uid) {
		ep.uids = append(ep.uids, uid)
	}
	return key
}

// first raises the alert of an episode's first command.
func (d *Detector) first(key string, emit alert.Emit) {
	if ep := d.episodes[key]; ep != nil && ep.count == 1 && ep.reported == 0 {
		d.report(ep, emit)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// await remembers a request whose answer comes in a later record.
func (d *Detector) await(pk, key string, ts float64) {
	if _, ok := d.pending[pk]; !ok && len(d.pending) >= maxPending {
		for _, k := range evict.First(d.pending, len(d.pending)-maxPending+maxPending/10+1, func(p pendingReq) float64 { return p.ts }, func(a, b float64) int {
			switch {
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		}) {
			delete(d.pending, k)
		}
	}
	d.pending[pk] = pendingReq{key: key, ts: ts}
}

func (d *Detector) answered(pk string) (pendingReq, bool) {
	p, ok := d.pending[pk]
	if ok {
		delete(d.pending, pk)
	}
	return p, ok
}

// answer records the device's answer to a command of episode p.key.
func (d *Detector) answer(p pendingReq, ok bool, reply string) {
	ep := d.episodes[p.key]
	if ep == nil {
		return
	}
	if ok {
		ep.acked++
	} else {
		ep.refused++
	}
	ep.reply = reply
}

func (d *Detector) report(ep *episode, emit alert.Emit) {
	ep.reported, ep.reportedAck = ep.count, ep.acked+ep.refused
	ack := "no answer seen"
	switch {
	case ep.acked > 0 && ep.refused > 0:
		ack = fmt.Sprintf("acknowledged %d, refused %d", ep.acked, ep.refused)
	case ep.acked > 0:
		ack = "acknowledged"
	case ep.refused > 0:
		ack = "refused"
	}
	if ep.cmd.proto == "modbus" && ep.cmd.code == "8/4" && ep.acked+ep.refused == 0 {
		ack = "no answer seen (a device in listen-only mode does not answer)"
	}
	proto := map[string]string{"modbus": "Modbus", "dnp3": "DNP3", "cip": "CIP"}[ep.cmd.proto]
	act := fmt.Sprintf("sent %s %s (%s) to %s", proto, ep.cmd.name, ep.cmd.what, ep.dst)
	if ep.count > 1 {
		act += fmt.Sprintf(" %d times", ep.count)
	}
	ev := map[string]any{
		"protocol": ep.cmd.proto, "command": ep.cmd.name, "code": ep.cmd.code, "commands": ep.count,
		"acknowledged": ep.acked > 0, "answer": ack, "window_s": d.cfg.Window,
	}
	switch ep.cmd.proto {
	case "modbus":
		ev["function_code"], ev["sub_function"] = 8, strings.TrimPrefix(ep.cmd.code, "8/")
	case "dnp3":
		ev["function_code"] = ep.cmd.code
	case "cip":
		ev["service_code"] = ep.cmd.code
		if ep.class != "" {
			ev["class"] = ep.class
		}
	}
	if ep.reply != "" {
		ev["response"] = ep.reply
	}
	if ep.acked+ep.refused > 0 {
		ev["acknowledged_count"], ev["refused_count"] = ep.acked, ep.refused
	}
	a := alert.Alert{
		TS: ep.first, Src: ep.src, Dst: ep.dst, Name: ep.cmd.proto + ":" + ep.cmd.name,
		Proto: "tcp", Class: "ics.disruptive", Severity: ep.cmd.severity, Confidence: 0.9,
		MITRE: append([]string(nil), ep.cmd.mitre...), UIDs: append([]string(nil), ep.uids...),
		Act:      act,
		Summary:  fmt.Sprintf("%s %s %s; %s.", ep.src, act, when(ep.first, ep.last), ack),
		Evidence: ev, Detector: "ics",
	}
	if ep.last > ep.first {
		a.TSEnd = ep.last
	}
	if len(ep.uids) > 0 {
		a.UID = ep.uids[0]
	}
	if ep.cmd.proto == "dnp3" || ep.cmd.proto == "cip" {
		a.Proto = "" // over TCP or UDP: the log does not say
	}
	emit(a)
}

// evict ends the tenth of the episodes idle longest, reporting them.
func (d *Detector) evict(emit alert.Emit) {
	n := max(1, d.cfg.MaxEpisodes/10)
	for _, k := range evict.First(d.episodes, len(d.episodes)-d.cfg.MaxEpisodes+n, func(ep *episode) float64 { return ep.last }, func(a, b float64) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}) {
		d.end(d.episodes[k], emit)
		delete(d.episodes, k)
	}
}

// end reports an episode's final numbers when they changed since its
// last report.
func (d *Detector) end(ep *episode, emit alert.Emit) {
	if ep.count != ep.reported || ep.acked+ep.refused != ep.reportedAck {
		d.report(ep, emit)
	}
}

// Flush implements detect.Detector: episodes quiet for Window end, with
// a report of their final numbers.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	for k, ep := range d.episodes {
		if now-ep.last > d.cfg.Window {
			d.end(ep, emit)
			delete(d.episodes, k)
		}
	}
	for k, p := range d.pending {
		if now-p.ts > d.cfg.Window {
			delete(d.pending, k)
		}
	}
}

func when(first, last float64) string {
	if last > first {
		return "between " + alert.Clock(first) + " and " + alert.Clock(last)
	}
	return "at " + alert.Clock(first)
}
