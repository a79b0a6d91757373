// Package mirai detects Mirai-style IoT attacks: the telnet scan whose TCP
// SYNs carry a sequence number equal to the destination IPv4 address (from
// the "_syn_seq_eq_dst" packet facts: ts, src, dst, dst_p) → iot.mirai_scan,
// and logins with default credentials → iot.default_creds.
//
// Default credentials are judged by the user and the password together: a
// default user name with a password of its own is no default login. The
// pairs come from the login facts of Vigil's analyzers, which carry the
// password their logs hide: "_ftp_auth" (internal/proto/ftp: every reply
// to PASS), "_http_auth" (internal/proto/http: every request with Basic
// credentials, every answered login form), "_mqtt_auth" (internal/proto/mqtt: every CONNECT with a
// user name or password, as its CONNACK answered), "_telnet_auth"
// (internal/proto/telnet: every telnet login attempt) and "_mysql_auth"
// (internal/proto/mysql: every login's outcome, the password given only
// when empty: MySQL's root without one), each with the
// user, the password typed and the outcome; a successful login with a
// default pair is reported. An MQTT fact without a password (a CONNECT
// that sent none) is no default login. ftp.log, http.log and
// mqtt_connect.log are judged only by a password they logged (Zeek's logs
// as input with FTP::default_capture_password or HTTP's, or ftp.log's
// guest users; Zeek's mqtt_connect.log has neither user nor password) and
// only for a connection without facts: a default user name whose password
// is not known (ftp.log's "<hidden>", http.log or mqtt_connect.log
// without one) is not reported, as the inventory does not judge it
// either.
//
// Telnet writes no log, and Zeek logs as input have no facts, so in
// addition a source that scanned Mirai-style and then holds an
// established telnet session with a host it scanned is reported as a
// likely default-credential login (Mirai logs in with its built-in list
// only), unless the facts already told how that session's logins went
// (all refused, or a default login already reported). When the asset
// inventory runs too, a login it reports itself (a default pair of its
// credential rules: Config.LoginReported) is left to it, so that one
// login makes one alert.
//
// State: per scanning source, the distinct destinations (at most MaxTargets
// each, MaxSources sources; the longest-idle dropped past it); what the
// login facts said of at most maxOutcomes connections (forgotten all at
// once past it).
package mirai

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the Mirai thresholds and the default credential list.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinSYNs distinct destinations probed with seq == destination make a
	// scan.
	MinSYNs    int     `json:"min_syns"`
	Window     float64 `json:"window_s"`
	Idle       float64 `json:"idle_s"`
	MaxSources int     `json:"max_sources"`
	MaxTargets int     `json:"max_targets"`
	// Users and Passwords are the default credentials (Mirai's list and
	// common IoT defaults).
	Users     []string `json:"default_users"`
	Passwords []string `json:"default_passwords"`
	// LoginReported, when set, tells whether another part of the run
	// reports an accepted login on service with user and password (the
	// password the record gave) to server's port itself: the asset
	// inventory, which reports the default pairs of its credential rules
	// (insight wires it, and alerts each client's logins as its own). Such a login is left to it and counts as reported here (the
	// session-after-scan heuristic stays quiet for its connection). nil:
	// this detector reports every default-credential login it sees.
	LoginReported func(service, user, password string, server netip.Addr, port uint16) bool `json:"-"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Enabled: true, MinSYNs: 10, Window: 600, Idle: 900, MaxSources: 50_000, MaxTargets: 4096,
		Users: []string{"root", "admin", "support", "user", "guest", "ubnt", "pi", "default", "service",
			"supervisor", "administrator", "admin1", "tech", "mother", "888888", "666666", "daemon", "telnet", "mqtt", "cisco"},
		Passwords: []string{"xc3511", "vizxv", "admin", "888888", "xmhdipc", "default", "juantech", "123456",
			"54321", "support", "root", "12345", "user", "pass", "password", "1111", "smcadmin", "666666",
			"1234", "klv123", "klv1234", "ikwb", "anko", "ubnt", "raspberry", "7ujMko0admin", "Zte521",
			"hi3518", "jvbzd", "system", "meinsm", "realtek", "00000000", "dreambox", "fucker", "guest", "tech", "changeme",
			"admin1234", "zlxx.", "7ujMko0vizxv", "1111111"},
	}
}

type scanner struct {
	src         netip.Addr
	first, last float64
	targets     map[netip.Addr]bool
	ports       map[uint16]int
	alerted     bool
}

// Detector is the Mirai / default-credential detector.
type Detector struct {
	cfg       Config
	users     map[string]bool
	passwords map[string]bool
	scanners  map[netip.Addr]*scanner
	// held: telnet sessions whose scanner was not known yet (records of
	// different streams arrive in any order), at most maxHeld.
	held  map[netip.Addr][]session
	heldN int
	// logins: what the login facts ("_telnet_auth", "_ftp_auth",
	// "_http_auth", "_mqtt_auth") said of a connection (uid).
	logins map[string]uint8
}

// What the facts said of a connection's logins.
const (
	loginRefused  = 1 // every attempt refused
	loginReported = 2 // a default-credential login, already reported
	loginOther    = 3 // a login with other credentials
)

// maxOutcomes bounds the connections remembered.
const maxOutcomes = 8192

// New returns a Mirai detector.
func New(cfg Config) *Detector {
	d := &Detector{cfg: cfg, users: set(cfg.Users), passwords: set(cfg.Passwords), scanners: map[netip.Addr]*scanner{}}
	return d
}

func set(items []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range items {
		m[strings.ToLower(s)] = true
	}
	return m
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "mirai" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string {
	return []string{"_syn_seq_eq_dst", "conn", "ftp", "_ftp_auth", "http", "_http_auth", "mqtt_connect", "_mqtt_auth", "_telnet_auth", "_mysql_auth"}
}

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	switch r.Log {
	case "_syn_seq_eq_dst":
		d.syn(r, emit)
	case "conn":
		d.telnetSession(r, emit)
	case "ftp":
		if r.Has("reply_code") {
			d.loggedLogin(r, "ftp", "user", emit)
		}
	case "http":
		// Most requests carry no username, and Zeek's http.log no
		// password: asking first spares them the status code's lookup.
		if !r.Has("username") || !r.Has("password") {
			return
		}
		if code := r.Uint("status_code"); code >= 200 && code < 400 {
			d.loggedLogin(r, "http", "username", emit)
		}
	case "mqtt_connect":
		if r.Has("username") && r.Has("password") && strings.Contains(strings.ToLower(string(r.Bytes("connect_status"))), "accepted") {
			d.loggedLogin(r, "mqtt", "username", emit)
		}
	case "_ftp_auth":
		d.loginFact(r, "ftp", emit)
	case "_http_auth":
		d.loginFact(r, "http", emit)
	case "_mqtt_auth":
		d.loginFact(r, "mqtt", emit)
	case "_mysql_auth": // a password is given only when empty
		d.loginFact(r, "mysql", emit)
	case "_telnet_auth":
		d.loginFact(r, "telnet", emit)
	}
}

func (d *Detector) syn(r *rec.Rec, emit alert.Emit) {
	ts, src, dst := r.TS(), r.Addr("src"), r.Addr("dst")
	if !src.IsValid() || !dst.IsValid() {
		return
	}
	s := d.scanners[src]
	if s == nil || (!s.alerted && ts-s.first > d.cfg.Window) {
		if s == nil && len(d.scanners) >= d.cfg.MaxSources {
			d.evict()
		}
		s = &scanner{src: src, first: ts, last: ts, targets: map[netip.Addr]bool{}, ports: map[uint16]int{}}
		d.scanners[src] = s
	}
	s.first, s.last = min(s.first, ts), max(s.last, ts)
	if len(s.targets) < d.cfg.MaxTargets {
		s.targets[dst] = true
	}
	s.ports[uint16(r.Uint("dst_p"))]++
	if !s.alerted && len(s.targets) >= d.cfg.MinSYNs {
		s.alerted = true
		emit(d.scanAlert(s))
	}
	if s.alerted && len(d.held[src]) > 0 {
		d.release(s, emit)
	}
}

// loginFact reads one login attempt of service's facts: a successful
// login with a default pair is reported. What the facts said is kept by
// connection, for the session heuristic (telnet) and the connection's log
// records (ftp.log, http.log), which they judged already.
func (d *Detector) loginFact(r *rec.Rec, service string, emit alert.Emit) {
	if d.logins == nil || len(d.logins) >= maxOutcomes {
		d.logins = map[string]uint8{}
	}
	uid := r.Bytes("uid")
	ok, _ := r.Bool("success")
	if !ok {
		if d.logins[string(uid)] == 0 {
			d.logins[string(uid)] = loginRefused
		}
		return
	}
	// The facts give the password typed, an empty one too (Mirai's
	// table has root and admin without one). An MQTT fact without one
	// is a CONNECT that sent none, a MySQL fact without one a login with
	// a password it cannot give (a scramble): no default pair.
	o := uint8(loginOther)
	if (service != "mqtt" && service != "mysql" || r.Has("password")) && d.creds(r, service, r.Str("user"), r.Str("password"), r.Has("password"), emit) {
		o = loginReported
	}
	if d.logins[string(uid)] < o { // a default login reported stays so
		d.logins[string(uid)] = o
	}
}

// loggedLogin judges a login that ftp.log, http.log or mqtt_connect.log
// shows (userField names its user) by the password the log shows: none
// (http.log, as Zeek's by default; mqtt_connect.log) or "<hidden>"
// (ftp.log but for guest users) is a password not known, and a default
// user name alone is not reported. A connection whose login facts came
// was judged by them.
func (d *Detector) loggedLogin(r *rec.Rec, service, userField string, emit alert.Emit) {
	if !r.Has("password") || d.logins[string(r.Bytes("uid"))] != 0 {
		return
	}
	if password := r.Str("password"); password != "<hidden>" {
		d.creds(r, service, r.Str(userField), password, true, emit)
	}
}

// telnetSession reports an established telnet session from a Mirai scanner
// to a host it probed, unless the facts told already how its logins went.
func (d *Detector) telnetSession(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	if c.RespP != 23 && c.RespP != 2323 {
		return
	}
	if !c.Established() || c.RespBytes == 0 {
		return
	}
	if o := d.logins[string(c.UID)]; o == loginRefused || o == loginReported {
		return
	}
	sess := session{ts: c.TS, dur: c.Duration, uid: string(c.UID), orig: c.Orig, resp: c.Resp,
		origP: c.OrigP, respP: c.RespP, origBytes: c.OrigBytes, respBytes: c.RespBytes}
	s := d.scanners[c.Orig]
	if s == nil || !s.alerted || !s.targets[c.Resp] {
		d.hold(sess) // the scan's facts may come after the session's record
		return
	}
	emit(d.loginAlert(sess))
}

// session is an established telnet connection, kept until the scan that
// led to it is known.
type session struct {
	ts, dur              float64
	uid                  string
	orig, resp           netip.Addr
	origP, respP         uint16
	origBytes, respBytes uint64
}

// maxHeld bounds the telnet sessions waiting for their scan.
const maxHeld = 4096

func (d *Detector) hold(s session) {
	if d.held == nil {
		d.held = map[netip.Addr][]session{}
	}
	if d.heldN >= maxHeld || len(d.held[s.orig]) >= 16 {
		return
	}
	d.held[s.orig] = append(d.held[s.orig], s)
	d.heldN++
}

// release reports the held sessions of scanner s to hosts it probed.
func (d *Detector) release(s *scanner, emit alert.Emit) {
	var keep []session
	for _, sess := range d.held[s.src] {
		if s.targets[sess.resp] {
			if o := d.logins[sess.uid]; o != loginRefused && o != loginReported {
				emit(d.loginAlert(sess))
			}
			d.heldN--
		} else {
			keep = append(keep, sess)
		}
	}
	if keep == nil {
		delete(d.held, s.src)
	} else {
		d.held[s.src] = keep
	}
}

func (d *Detector) loginAlert(c session) alert.Alert {
	act := fmt.Sprintf("logged in to %s over telnet after a Mirai-style scan (%d bytes in %.0f s)", c.resp, c.origBytes+c.respBytes, c.dur)
	return alert.Alert{
		TS: c.ts, TSEnd: c.ts + c.dur, UID: c.uid, Src: c.orig.String(), Dst: c.resp.String(),
		SrcP: c.origP, DstP: c.respP, Proto: "tcp", Class: "iot.default_creds", Confidence: 0.6, Act: act,
		Summary: fmt.Sprintf("%s %s at %s.", c.orig, act, alert.Clock(c.ts)),
		Evidence: map[string]any{
			"service": "telnet", "basis": "telnet session from a seq==dst scanner", "duration_s": c.dur,
			"orig_bytes": c.origBytes, "resp_bytes": c.respBytes,
		},
		Detector: "mirai",
	}
}

// creds reports a login with a default user name and a default password
// or the user name as password (a password not known: only a telnet,
// FTP or HTTP fact whose password is null, which Vigil's analyzers do
// not write; at low confidence); true when it did, or when
// Config.LoginReported leaves the login to another part. An empty
// password is an unknown one unless empty says it was typed empty (no
// password: a default too).
func (d *Detector) creds(r *rec.Rec, service, user, password string, empty bool, emit alert.Emit) bool {
	if d.cfg.LoginReported != nil && d.leftToOthers(r, service, user, password) {
		return true
	}
	u := strings.ToLower(user)
	if !d.users[u] {
		return false
	}
	known := password != "" && password != "<hidden>" && d.passwords[strings.ToLower(password)] || password == "" && empty
	if password != "" && password != "<hidden>" && !known && password != user {
		return false // a user name from the list with a password of its own
	}
	c := r.Conn()
	conf := 0.5
	ev := map[string]any{"service": service, "user": user}
	if known || (password != "" && password == user) {
		conf = 0.9
		ev["password"] = password
	}
	act := fmt.Sprintf("logged in to %s over %s as default user %q", c.Resp, service, user)
	emit(alert.Alert{
		TS: c.TS, UID: string(c.UID), Src: c.Orig.String(), Dst: c.Resp.String(), SrcP: c.OrigP, DstP: c.RespP,
		Proto: "tcp", Class: "iot.default_creds", Confidence: conf, Act: act,
		Summary:  fmt.Sprintf("%s %s at %s.", c.Orig, act, alert.Clock(c.TS)),
		Evidence: ev, Detector: "mirai",
	})
	return true
}

// leftToOthers: Config.LoginReported says another part reports this
// login. It is asked only when the record has a password (a field that is
// not null), as the inventory matches pairs only then (a login whose
// password is not known is this detector's).
func (d *Detector) leftToOthers(r *rec.Rec, service, user, password string) bool {
	if !r.Has("password") {
		return false
	}
	c := r.Conn()
	return d.cfg.LoginReported(service, user, password, c.Resp, c.RespP)
}

func (d *Detector) scanAlert(s *scanner) alert.Alert {
	targets := make([]netip.Addr, 0, len(s.targets))
	for t := range s.targets {
		targets = append(targets, t)
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Less(targets[j]) })
	dsts := make([]string, len(targets))
	for i, t := range targets {
		dsts[i] = t.String()
	}
	ports := make([]string, 0, len(s.ports))
	for _, p := range sortedPorts(s.ports) {
		ports = append(ports, fmt.Sprintf("%d/tcp", p))
	}
	act := fmt.Sprintf("Mirai-scanned %s on %s (SYN sequence number = destination address)", alert.Plural(len(targets), "host"), strings.Join(ports, ", "))
	dst := ""
	if len(dsts) == 1 {
		dst = dsts[0]
	}
	return alert.Alert{
		TS: s.first, TSEnd: s.last, Src: s.src.String(), Dst: dst, Dsts: dsts, DstCount: len(targets),
		Proto: "tcp", Class: "iot.mirai_scan", Confidence: min(1, 0.8+0.2*float64(len(targets))/float64(10*d.cfg.MinSYNs)),
		Act:     act,
		Summary: fmt.Sprintf("%s %s between %s and %s.", s.src, act, alert.Clock(s.first), alert.Clock(s.last)),
		Evidence: map[string]any{
			"hosts": len(targets), "syns": sum(s.ports), "ports": ports, "threshold_hosts": d.cfg.MinSYNs, "window_s": d.cfg.Window,
		},
		Detector: "mirai",
	}
}

func sortedPorts(m map[uint16]int) []uint16 {
	out := make([]uint16, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sum(m map[uint16]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func (d *Detector) evict() {
	evict.DropTenth(d.scanners, func(s *scanner) float64 { return s.last })
}

// Flush implements detect.Detector: idle scanners end with their final
// counts.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	for src, held := range d.held {
		var keep []session
		for _, s := range held {
			if now-s.ts <= d.cfg.Window {
				keep = append(keep, s)
			}
		}
		d.heldN -= len(held) - len(keep)
		if keep == nil {
			delete(d.held, src)
		} else {
			d.held[src] = keep
		}
	}
	for k, s := range d.scanners {
		if now-s.last > d.cfg.Idle {
			if s.alerted {
				emit(d.scanAlert(s))
			}
			delete(d.scanners, k)
		}
	}
}
