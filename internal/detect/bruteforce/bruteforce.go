// Package bruteforce detects password guessing against SSH, telnet, FTP,
// HTTP authentication, MQTT, RDP, SMB, MySQL and Kerberos.
//
// rdp.log's cookies (the user names an RDP client sends before TLS) are
// listed as the users tried; RDP's outcomes are not seen.
//
// Where a protocol log or fact says how a login went, failures are counted
// from it: ssh.log (auth_success false, auth_attempts), ftp.log (reply 530)
// and the "_ftp_auth" facts, the "_telnet_auth" facts (every telnet login
// attempt with its outcome, internal/proto/telnet), http.log (status 401;
// not the "_http_auth" facts of the same Basic logins, so that each
// attempt counts once), the "_http_auth" facts of login forms (form true:
// every answered POST of a user and password to a web page, judged by its
// reply, internal/proto/http; a 401 to one is not also a challenge) and
// mqtt_connect.log (refused: bad user name or password /
// not authorized; not the "_mqtt_auth" facts of the same CONNECTs) and
// ntlm.log (SMB logins, internal/proto/smb: refused, or let in as a
// guest; an anonymous session is no guess), mysql.log (a login or
// COM_CHANGE_USER refused or let in) and the "_krb_auth" facts of
// internal/proto/krb (a KDC's KDC_ERR_PREAUTH_FAILED: a wrong password;
// KDC_ERR_C_PRINCIPAL_UNKNOWN: a user name tried that does not exist;
// KDC_ERR_CLIENT_REVOKED: an account locked out — these two once per
// user name), a kerberos.log AS
// exchange that got its ticket being a login; an SSH connection
// that logged in counts no failure, whatever its auth_attempts. Where they
// do not (RDP; SSH, FTP or telnet without their records, e.g. Zeek logs
// as input; SMB's short connections that had no login in ntlm.log, see
// crossed), short established connections to the service port that
// carried data from the client are counted: guessing tools open one
// connection per few tries (a port check sends nothing). The larger of
// the two counts decides, per (source, destination, service), within
// Window seconds. A success seen after the
// failures (ssh.log auth_success, FTP 230, a telnet login that got a shell,
// MQTT accepted, MySQL let in, HTTP 2xx with a user name, a login form let in, or a long
// telnet session) is
// reported as a likely compromise.
//
// An HTTP 401 to a request that gave no Basic credentials (http.log has no
// user name) is first a challenge: NTLM and Negotiate answer every new
// connection's first requests so (two 401s before the 200), and a browser
// asks for Basic credentials after one. It counts as a failure only when
// its connection ends (its conn record) without a 2xx, or when the pair's
// episode ends with it unanswered (Zeek logs read conn.log before
// http.log). A 2xx on the same connection settles it, but for its last
// two (NTLM's handshake) they are failures: passwords tried on one
// connection before a public page. Password spraying over NTLM, every
// attempt refused, is still counted; an intranet's Windows clients are not.
//
// Password spraying tries a password or two on each of many servers: a
// source whose logins a protocol log reported refused on SprayServers
// distinct servers of a service within Window is reported once for them
// all (Dst empty, the servers in Dsts), and a success of it on any server
// after them as a likely compromise. HTTP 401s count only where the
// request gave a user name: a monitor polling devices' status pages
// without credentials is refused everywhere.
//
// State: one entry per (source, destination, service) that failed at least
// once, and per (source, service) with refused logins, with at most
// MaxSprayServers servers each; at most MaxPairs in all (the longest-idle
// are dropped past it); and the connections of at most MaxFormPending
// login forms' 401s whose http.log records have not come yet.
package bruteforce

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the brute-force thresholds.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinFailures failed logins (from protocol logs) make an attack.
	MinFailures int `json:"min_failures"`
	// MinConns short connections to a login port make an attack.
	MinConns int `json:"min_connections"`
	// Short is the longest duration (s) of a guessing connection.
	Short float64 `json:"short_s"`
	// SprayServers distinct servers of a service on which a source's
	// logins were refused make password spraying.
	SprayServers int `json:"spray_servers"`
	// CrowdSources distinct sources, each below MinFailures, whose logins
	// a server refused CrowdFailures times in all within Window make a
	// distributed brute force (0: not looked for).
	CrowdSources  int `json:"crowd_sources"`
	CrowdFailures int `json:"crowd_failures"`
	// Ports maps service ports to the service name of the class
	// (bruteforce.NAME) for connection counting.
	Ports    map[uint16]string `json:"ports"`
	Window   float64           `json:"window_s"`
	Idle     float64           `json:"idle_s"`
	Report   float64           `json:"report_s"`
	MaxPairs int               `json:"max_pairs"`
}

// DefaultConfig returns the default thresholds.
func DefaultConfig() Config {
	return Config{
		Enabled: true, MinFailures: 10, MinConns: 15, Short: 30, SprayServers: 20, CrowdSources: 10, CrowdFailures: 50,
		Ports:  map[uint16]string{22: "ssh", 23: "telnet", 2323: "telnet", 21: "ftp", 3389: "rdp", 445: "smb", 139: "smb", 3306: "mysql"},
		Window: 600, Idle: 600, Report: 600, MaxPairs: 200_000,
	}
}

// key names a pair; a zero dst names the source's spraying of the
// service over all servers, a zero src the crowd of sources guessing on
// one server.
type key struct {
	src, dst netip.Addr
	service  string
}

// spraying reports whether k is a source's spraying over all servers.
func (k key) spraying() bool { return !k.dst.IsValid() }

// crowd reports whether k is the sources' guessing on one server.
func (k key) crowd() bool { return !k.src.IsValid() }

// MaxSprayServers bounds the servers a spraying entry holds.
const MaxSprayServers = 256

type pair struct {
	key
	alert.Episode
	first        float64
	failures     int  // from protocol logs
	sawLog       bool // a protocol log reported on this pair
	conns        int  // short established connections
	successes    int
	successAfter bool // a success after at least one failure
	users        map[string]int
	// passwords are the hashes of the distinct passwords the login facts
	// showed tried (at most MaxPasswords), for the technique.
	passwords  []uint64
	port       uint16
	uids       alert.UIDs
	challenges map[string]int // HTTP 401s without credentials per connection uid, not yet settled
	// SMB: the short connections ntlm.log reported logins on (explained),
	// found by matching the recent connections of both records.
	explained int
	smb       *recentConns
	// servers are the failures per server of a spraying entry (those
	// failed on, up to MaxSprayServers), or per source of a crowd entry;
	// loggedIn the servers it then logged in on, or the crowd's sources
	// that then logged in (up to MaxLoggedIn).
	servers  map[netip.Addr]int
	loggedIn []netip.Addr
}

// MaxLoggedIn bounds the servers a spraying entry names as logged in on.
const MaxLoggedIn = 16

// smbConns returns p's recent SMB connections, made on first use.
func (p *pair) smbConns() *recentConns {
	if p.smb == nil {
		p.smb = &recentConns{}
	}
	return p.smb
}

// recentConns are the last connections of an SMB pair that had an
// ntlm.log record (logged) or a short conn record (short): the two come
// close together, in either order, so a few dozen suffice.
type recentConns struct {
	conns [32]struct {
		uid           string
		ts            float64
		logged, short bool
	}
	next int
}

// matchWindow is how far apart (s) a connection's conn record and its
// ntlm.log records may come: a slot waiting longer is free again.
const matchWindow = 120

// note marks connection uid (a record of it at ts) logged and/or short,
// and reports whether it has just become both: a short connection that
// had a login in the log.
func (r *recentConns) note(uid string, ts float64, logged, short bool) bool {
	for i := range r.conns {
		c := &r.conns[i]
		if c.uid != uid || uid == "" {
			continue
		}
		both := c.logged && c.short
		c.logged, c.short = c.logged || logged, c.short || short
		return !both && c.logged && c.short
	}
	// A new connection takes a free or matched slot, the oldest first;
	// when every slot waits for its match, the newcomer is not kept: a
	// burst of connections in flight loses only what overflows.
	for j := range r.conns {
		i := (r.next + j) % len(r.conns)
		if c := &r.conns[i]; c.uid == "" || c.logged && c.short || ts-c.ts > matchWindow || c.ts-ts > matchWindow {
			c.uid, c.ts, c.logged, c.short = uid, ts, logged, short
			r.next = (i + 1) % len(r.conns)
			return false
		}
	}
	return false
}

// MaxPasswords bounds the distinct passwords a pair counts.
const MaxPasswords = 64

// notePassword counts a password a login fact showed tried on the pair
// of r's connection and service (made when failed: its failure is
// counted from the fact or from the log record that follows it).
func (d *Detector) notePassword(r *rec.Rec, service string, failed bool, emit alert.Emit) {
	pw, ok := r.Raw("password")
	if !ok {
		return
	}
	c := r.Conn()
	p := d.pair(key{c.Orig, c.Resp, service}, c.TS, failed, emit)
	if p == nil || len(p.passwords) >= MaxPasswords {
		return
	}
	sum := domain.Hash(pw) // of the JSON text: equal passwords are equal texts
	if !slices.Contains(p.passwords, sum) {
		p.passwords = append(p.passwords, sum)
	}
}

// MaxFormPending bounds the login forms' 401s whose http.log records are
// awaited.
const MaxFormPending = 64

// formRecord reports whether r, an http record of status 401, is a login
// form's whose fact came before it, and forgets that fact.
func (d *Detector) formRecord(r *rec.Rec) bool {
	if len(d.formPending) == 0 {
		return false
	}
	i := slices.Index(d.formPending, string(r.Conn().UID))
	if i < 0 {
		return false
	}
	d.formPending = slices.Delete(d.formPending, i, i+1)
	return true
}

// maxChallenges bounds the connections a pair holds unsettled HTTP 401s
// for; past it a 401 counts as a failure at once.
const maxChallenges = 64

// Detector is the brute-force detector.
type Detector struct {
	cfg      Config
	internal *netset.Set
	pairs    map[key]*pair
	due      *alert.Schedule[key, *pair] // when pairs may end or be reported again
	// challenged bounds from above the HTTP 401s held unsettled in all
	// pairs (pair.challenges): while none is, conn records and 2xx answers
	// have nothing to settle, and an http record's connection fields are
	// not decoded for them.
	challenged int
	// formPending are the connections of login forms' facts refused with
	// a 401 whose http.log records have not come yet (at most
	// MaxFormPending, the oldest dropped): those records are no
	// challenges. A fact's record comes after it, but not always next:
	// records of other connections (other workers') may come between.
	formPending []string
	// Evicted counts pairs dropped to stay under MaxPairs.
	Evicted int
}

// New returns a brute-force detector; internal are the site's networks,
// whose hosts are no members of a crowd (nil: none are).
func New(cfg Config, internal *netset.Set) *Detector {
	return &Detector{cfg: cfg, internal: internal, pairs: map[key]*pair{}, due: alert.NewSchedule[key, *pair](cfg.Idle, cfg.Report)}
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "bruteforce" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string {
	return []string{"conn", "ssh", "ftp", "_ftp_auth", "_telnet_auth", "http", "_http_auth", "mqtt_connect", "_mqtt_auth", "ntlm", "rdp", "mysql", "_krb_auth", "kerberos"}
}

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	switch r.Log {
	case "conn":
		if d.challenged > 0 {
			d.settle(r.Conn(), 0, emit)
		}
		d.conn(r, emit)
	case "ssh":
		ok, has := r.Bool("auth_success")
		n := int(r.Uint("auth_attempts"))
		if !has && n == 0 {
			return
		}
		if ok {
			// The attempts before a success on one connection are mostly
			// keys the client's agent offered first (automation logs in
			// so all day): no failures.
			d.outcome(r, "ssh", 0, true, "", emit)
		} else {
			d.outcome(r, "ssh", max(n, 1), false, "", emit)
		}
	case "ftp":
		switch code := r.Uint("reply_code"); {
		case code == 530:
			d.outcome(r, "ftp", 1, false, r.Str("user"), emit)
		case code == 230:
			d.outcome(r, "ftp", 0, true, r.Str("user"), emit)
		}
	case "_ftp_auth", "_telnet_auth": // every login attempt (no log has them)
		service := "ftp"
		if r.Log == "_telnet_auth" {
			service = "telnet"
		}
		ok, _ := r.Bool("success")
		if ok {
			d.outcome(r, service, 0, true, r.Str("user"), emit)
		} else {
			d.outcome(r, service, 1, false, r.Str("user"), emit)
		}
		d.notePassword(r, service, !ok, emit)
	case "_http_auth":
		ok, _ := r.Bool("success")
		form, _ := r.Bool("form")
		if form { // Basic logins count from http.log
			if r.Uint("status_code") == 401 {
				if len(d.formPending) >= MaxFormPending {
					d.formPending = slices.Delete(d.formPending, 0, 1)
				}
				d.formPending = append(d.formPending, r.Str("uid"))
			}
			if ok {
				d.outcome(r, "http", 0, true, r.Str("user"), emit)
			} else {
				d.outcome(r, "http", 1, false, r.Str("user"), emit)
			}
		}
		// A Basic login counts as failed from its 401 only (http.log's):
		// another refusal (403, 404) makes its pair no state.
		d.notePassword(r, "http", !ok && (form || r.Uint("status_code") == 401), emit)
	case "_mqtt_auth": // the outcome counts from mqtt_connect.log
		ok, _ := r.Bool("success")
		d.notePassword(r, "mqtt", !ok, emit)
	case "http":
		switch code, user := statusAndUser(r); {
		case code == 401 && d.formRecord(r): // counted from its fact
		case code == 401 && user == "":
			d.challenge(r, emit)
		case code == 401:
			d.outcome(r, "http", 1, false, user, emit)
		case code >= 200 && code < 300:
			if d.challenged > 0 {
				d.settle(r.Conn(), challengeRounds, emit)
			}
			if user != "" {
				d.outcome(r, "http", 0, true, user, emit)
			}
		}
	case "ntlm": // SMB logins (internal/proto/smb); NTLM over other transports is not judged
		ok, has := r.Bool("success")
		if !has || d.cfg.Ports[r.Conn().RespP] != "smb" {
			return
		}
		c := r.Conn()
		p := d.pair(key{c.Orig, c.Resp, "smb"}, c.TS, true, emit)
		p.sawLog = true
		if p.smbConns().note(string(c.UID), c.TS, true, false) { // before the outcome, which may decide
			p.explained++
		}
		user := r.Str("username")
		guest, _ := r.Bool("guest")
		switch {
		case ok && (user == "" || guest && strings.EqualFold(user, "guest")):
			// an anonymous or asked-for guest session: no password was tried
		case ok && !guest:
			d.outcome(r, "smb", 0, true, user, emit)
		default: // refused, or let in as a guest: the account's password was not it
			d.outcome(r, "smb", 1, false, user, emit)
		}
	case "rdp": // the cookie names the user tried; the outcome is not seen
		if cookie := r.Str("cookie"); cookie != "" {
			c := r.Conn()
			if p := d.pair(key{c.Orig, c.Resp, "rdp"}, c.TS, true, emit); len(p.users) < 64 {
				p.users[cookie]++
			}
		}
	case "mysql":
		if cmd := r.Str("cmd"); cmd != "login" && cmd != "change_user" {
			return
		}
		switch ok, has := r.Bool("success"); {
		case has && ok:
			d.outcome(r, "mysql", 0, true, r.Str("arg"), emit)
		case has:
			d.outcome(r, "mysql", 1, false, r.Str("arg"), emit)
		}
	case "_krb_auth":
		switch code := r.Uint("error_code"); code {
		case krbPreauthFailed:
			d.outcome(r, "kerberos", 1, false, r.Str("user"), emit)
		case krbPrincipalUnknown, krbClientRevoked:
			// Once per user name: a client configured with a principal
			// the realm lacks, or an account locked out, repeats the
			// same error; enumeration and spraying try many names.
			c, user := r.Conn(), r.Str("user")
			if p := d.pairs[key{c.Orig, c.Resp, "kerberos"}]; p == nil || p.users[user] == 0 {
				d.outcome(r, "kerberos", 1, false, user, emit)
			}
		}
	case "kerberos":
		ok, _ := r.Bool("success")
		switch typ := r.Str("request_type"); {
		case ok && typ == "AS":
			user, _, _ := strings.Cut(r.Str("client"), "/")
			d.outcome(r, "kerberos", 0, true, user, emit)
		case ok && typ == "AP" && d.cfg.Ports[r.Conn().RespP] == "smb":
			// An SMB session setup the server accepted with a Kerberos
			// ticket (its AP-REP): a login, as ntlm.log's, that explains
			// its short connection (a domain member's SYSVOL and IPC$).
			c := r.Conn()
			p := d.pair(key{c.Orig, c.Resp, "smb"}, c.TS, true, emit)
			p.sawLog = true
			if p.smbConns().note(string(c.UID), c.TS, true, false) {
				p.explained++
			}
		}
	case "mqtt_connect":
		st := strings.ToLower(string(r.Bytes("connect_status")))
		switch {
		case strings.Contains(st, "user name or password") || strings.Contains(st, "not authorized"):
			d.outcome(r, "mqtt", 1, false, r.Str("username"), emit)
		case strings.Contains(st, "accepted"):
			d.outcome(r, "mqtt", 0, true, r.Str("username"), emit)
		}
	}
}

// Kerberos error codes that are a wrong guess (RFC 4120 7.5.9).
const (
	krbPrincipalUnknown = 6  // KDC_ERR_C_PRINCIPAL_UNKNOWN: no such user
	krbClientRevoked    = 18 // KDC_ERR_CLIENT_REVOKED: the account is locked out
	krbPreauthFailed    = 24 // KDC_ERR_PREAUTH_FAILED: a wrong password
)

// statusAndUser returns an http record's status code and username, as
// r.Uint and r.Str read them: from the fields its producer located
// (rec.HTTP) when it has them and no username (the usual request), else
// by key.
func statusAndUser(r *rec.Rec) (uint64, string) {
	h := r.HTTP()
	if h == nil || h.Username.End != 0 {
		return r.Uint("status_code"), r.Str("username")
	}
	code, _ := rec.Unsigned(h.StatusCode.Raw(r.Line()))
	return code, ""
}

// outcome records failures (and a success) reported by a protocol log,
// on the pair and towards its source's spraying of the service.
func (d *Detector) outcome(r *rec.Rec, service string, failures int, success bool, user string, emit alert.Emit) {
	c := r.Conn()
	p := d.pair(key{c.Orig, c.Resp, service}, c.TS, failures > 0, emit)
	d.count(p, c, failures, success, user, emit)
	if service != "http" || user != "" {
		d.count(d.pair(key{c.Orig, netip.Addr{}, service}, c.TS, failures > 0, emit), c, failures, success, user, emit)
	}
	d.countCrowd(p, c, service, failures, success, user, emit)
}

// countCrowd counts a source's outcome on a server (own: their pair; nil
// for a success once it ended or was evicted, the crowd's episode going
// on) towards the crowd guessing on it, unless the source is internal (a
// fleet of the site's devices failing to log in with a changed
// password is no botnet): failures of a source that did not
// make an attack of its own, and a success of a source that failed in
// the crowd before. A source whose pair alerted is told of alone: its
// failures left a crowd that had not alerted when its pair alerted
// (leaveCrowd), and later ones are not the crowd's.
//
// A refused SSH connection counts once: auth_attempts counts the keys a
// client's agent offers too (ten CI runners with a wrong key are no
// botnet). A login marks the crowd's alert only for a source that failed
// minCrowdLoginFailures times in it: one typo before a good password is
// a person's.
func (d *Detector) countCrowd(own *pair, c *rec.Conn, service string, failures int, success bool, user string, emit alert.Emit) {
	if d.cfg.CrowdSources <= 0 || own != nil && own.Alerted || d.internal.Contains(c.Orig) {
		return
	}
	if sp := d.pairs[key{c.Orig, netip.Addr{}, service}]; sp != nil && sp.Alerted {
		return // a sprayer, told of alone
	}
	k := key{netip.Addr{}, c.Resp, service}
	if failures == 0 {
		if p := d.pairs[k]; p != nil && p.servers[c.Orig] >= minCrowdLoginFailures {
			d.count(p, c, 0, success, user, emit)
		}
		return
	}
	if service == "ssh" {
		failures = 1
	}
	d.count(d.pair(k, c.TS, true, emit), c, failures, false, user, emit)
}

// minCrowdLoginFailures is how many times a crowd's source must have
// failed for its login to be the crowd's.
const minCrowdLoginFailures = 2

// leaveCrowd withdraws the failures of p's source from the crowd on
// p's server (a sprayer's: on each of its servers) when p has just
// alerted and the crowd has not: the source is told of alone. It is called wherever a pair alerts, whatever made
// it cross (a failure counted, a challenge settled at a conn record,
// short connections), not only at the source's next outcome.
func (d *Detector) leaveCrowd(p *pair) {
	switch {
	case p.crowd():
	case p.spraying(): // a sprayer leaves the crowd of every server it failed on
		for server := range p.servers {
			d.withdraw(p.src, server, p.service)
		}
	default:
		d.withdraw(p.src, p.dst, p.service)
	}
}

// withdraw takes src's failures out of the crowd guessing on server's
// service, if it has not alerted.
func (d *Detector) withdraw(src, server netip.Addr, service string) {
	if cr := d.pairs[key{netip.Addr{}, server, service}]; cr != nil && !cr.Alerted && cr.servers[src] > 0 {
		cr.failures -= cr.servers[src]
		delete(cr.servers, src)
	}
}

// count records one outcome of connection c on p (nil: none).
func (d *Detector) count(p *pair, c *rec.Conn, failures int, success bool, user string, emit alert.Emit) {
	if p == nil {
		return
	}
	p.sawLog = true
	p.port = c.RespP
	p.failures += failures
	peer := c.Resp // a spraying entry's are the servers, a crowd's the sources
	if p.crowd() {
		peer = c.Orig
	}
	if _, ok := p.servers[peer]; (p.spraying() || p.crowd()) && failures > 0 && (ok || len(p.servers) < MaxSprayServers) {
		if p.servers == nil {
			p.servers = map[netip.Addr]int{}
		}
		p.servers[peer] += failures
	}
	if success {
		p.successes++
		p.successAfter = p.successAfter || p.failures > 0
		if (p.spraying() || p.crowd()) && p.failures > 0 && len(p.loggedIn) < MaxLoggedIn && !slices.Contains(p.loggedIn, peer) {
			p.loggedIn = append(p.loggedIn, peer)
		}
	}
	if user != "" && len(p.users) < 64 {
		p.users[user]++
	}
	d.touch(p, c, emit)
}

// challenge holds an HTTP 401 to a request without credentials until its
// connection ends or gets a 2xx (settle), or its pair's episode ends
// (settleAll).
func (d *Detector) challenge(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	p := d.pair(key{c.Orig, c.Resp, "http"}, c.TS, true, emit)
	if p.challenges == nil {
		p.challenges = map[string]int{}
	}
	uid := string(c.UID)
	if _, held := p.challenges[uid]; !held {
		if len(p.challenges) >= maxChallenges {
			d.outcome(r, "http", 1, false, "", emit)
			return
		}
		d.challenged++
	}
	p.challenges[uid]++
	p.sawLog, p.port = true, c.RespP
	p.first = min(p.first, c.TS)
	p.Active(c.TS)
}

// settle counts as failures the challenges held for c's connection but
// its last forgiven ones, and drops them: at its conn record none are
// forgiven; at a 2xx, challengeRounds (the handshake that let it in;
// any before were passwords tried on the connection).
func (d *Detector) settle(c *rec.Conn, forgiven int, emit alert.Emit) {
	p := d.pairs[key{c.Orig, c.Resp, "http"}]
	if p == nil || len(p.challenges) == 0 {
		return
	}
	uid := string(c.UID)
	n, held := p.challenges[uid]
	if !held {
		return
	}
	delete(p.challenges, uid)
	d.challenged--
	if n > forgiven {
		p.failures += n - forgiven
		d.touch(p, c, emit)
	}
}

// challengeRounds is how many 401s a successful login takes at most:
// NTLM's two (the challenge, then its type 2 message); Negotiate, Digest
// and Basic take one.
const challengeRounds = 2

// settleAll counts the challenges still held when the pair's episode
// ends (ending: the pair goes; else a new episode would replace it) as
// failures: their conn records never came after them (Zeek logs given as
// files are read one after the other, conn.log before http.log), and no
// 2xx answered them. An alerted pair is reported again with them.
func (d *Detector) settleAll(p *pair, ending bool, emit alert.Emit) {
	n := 0
	for _, c := range p.challenges {
		n += c
	}
	if n == 0 {
		return
	}
	p.failures += n
	d.challenged -= len(p.challenges)
	p.challenges = nil
	switch {
	case p.Alerted:
		emit(d.alert(p)) // its last report did not count them
	case d.crossed(p):
		p.Reported(p.Last)
		d.leaveCrowd(p)
		if !ending {
			d.due.Watch(d.pairs, p.key, p)
		}
		emit(d.alert(p))
	}
}

// conn counts short established connections to login ports. One whose
// originator sent no byte tried no password: a load balancer's or
// orchestrator's port check, every few seconds, completes the handshake
// and closes.
func (d *Detector) conn(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	if c.Proto != rec.ProtoTCP || !c.Established() || c.OrigBytes == 0 {
		return
	}
	service, ok := d.cfg.Ports[c.RespP]
	if !ok {
		return
	}
	k := key{c.Orig, c.Resp, service}
	short := c.Duration < d.cfg.Short
	p := d.pair(k, c.TS, short, emit)
	if p == nil {
		return
	}
	if p.sawLog && (service == "ssh" || service == "ftp" || service == "telnet" || service == "mysql") {
		return // the protocol log (or fact) counts this service's attempts
	}
	p.port = c.RespP
	if short {
		p.conns++
		if service == "smb" && p.smbConns().note(string(c.UID), c.TS, false, true) {
			p.explained++
		}
	} else if p.conns >= d.cfg.MinConns && (service == "telnet" || service == "rdp") {
		p.successes++ // a session that lasts after many short tries
		p.successAfter = true
	}
	d.touch(p, c, emit)
}

// pair returns the state of k, starting a new episode when the old one
// never crossed within Window; nil when there is none and create is false.
func (d *Detector) pair(k key, ts float64, create bool, emit alert.Emit) *pair {
	p := d.pairs[k]
	if p != nil && !p.Alerted && ts-p.first > d.cfg.Window {
		d.settleAll(p, false, emit) // may make it cross: then it goes on
	}
	if p != nil && (p.Alerted || ts-p.first <= d.cfg.Window) {
		return p
	}
	if !create {
		return p
	}
	if len(d.pairs) >= d.cfg.MaxPairs {
		d.evict()
	}
	p = &pair{key: k, first: ts, Episode: alert.Episode{Last: ts}, users: map[string]int{}}
	d.pairs[k] = p
	d.due.Watch(d.pairs, k, p)
	return p
}

func (d *Detector) touch(p *pair, c *rec.Conn, emit alert.Emit) {
	p.first = min(p.first, c.TS)
	p.Active(c.TS + c.Duration)
	p.uids.Add(c.TS, c.UID)
	if !p.Alerted && d.crossed(p) {
		p.Reported(c.TS)
		d.leaveCrowd(p)
		d.due.Watch(d.pairs, p.key, p)
		emit(d.alert(p))
	}
}

// crossed reports whether the pair's failures or short connections make
// an attack. SMB's short connections are all counted (ntlm.log's records
// come in time order, before or after their conn record, and a login the
// analyzer could not read must not hide a guess), less the short
// connections ntlm.log reported logins on, or kerberos.log an AP exchange
// the server accepted (a Kerberos session setup): a client whose short
// connections are its logins (a backup job) is no guesser, and logins on
// long connections explain none.
func (d *Detector) crossed(p *pair) bool {
	if p.spraying() {
		return len(p.servers) >= d.cfg.SprayServers
	}
	if p.crowd() {
		return len(p.servers) >= d.cfg.CrowdSources && p.failures >= d.cfg.CrowdFailures
	}
	if p.failures >= d.cfg.MinFailures {
		return true
	}
	if p.service == "smb" && p.sawLog {
		return p.conns-p.explained >= d.cfg.MinConns
	}
	return p.conns >= d.cfg.MinConns
}

func (d *Detector) evict() {
	for _, k := range evict.First(d.pairs, len(d.pairs)/10+1, func(p *pair) float64 { return p.Last }, cmp.Compare[float64]) {
		d.challenged -= len(d.pairs[k].challenges)
		delete(d.pairs, k)
		d.Evicted++
	}
}

// SetRefresh implements detect.Refresher: alerted episodes active since
// their last report are reported again every r seconds (of record time).
func (d *Detector) SetRefresh(r float64) { d.due.SetRefresh(r) }

// Flush implements detect.Detector.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	d.due.Flush(d.pairs, now, func(p *pair) { emit(d.alert(p)) }, func(k key, p *pair) {
		d.settleAll(p, true, emit)
		delete(d.pairs, k)
	})
}

func (d *Detector) alert(p *pair) alert.Alert {
	// Failed logins a protocol log reported say more than connections do.
	attempts, unit := p.failures, "failed logins"
	if p.failures < d.cfg.MinFailures && p.conns > p.failures {
		attempts, unit = p.conns, "short connections"
	}
	ev := map[string]any{
		"short_connections":  p.conns,
		"threshold_failures": d.cfg.MinFailures, "threshold_connections": d.cfg.MinConns,
		"window_s": d.cfg.Window, "first": p.first, "last": p.Last,
	}
	// Logins' outcomes are stated only where a protocol log told them (or
	// a long session after the guesses): RDP's, behind TLS, are unknown.
	if p.sawLog {
		ev["failures"] = p.failures
	}
	if p.sawLog || p.successes > 0 {
		ev["successes"] = p.successes
	}
	if len(p.users) > 0 {
		ev["users"] = alert.SortedKeys(p.users)
	}
	technique, mitre := p.technique()
	if len(p.passwords) > 0 {
		ev["passwords"] = len(p.passwords)
	}
	if technique != "" {
		ev["technique"] = technique
	}
	a := alert.Alert{
		TS: p.first, TSEnd: p.Last, UIDs: p.uids.List(), Src: p.src.String(),
		DstP: p.port, Proto: "tcp", Class: "bruteforce." + p.service,
		Confidence: min(1, 0.6+0.4*float64(attempts)/float64(4*max(d.cfg.MinFailures, d.cfg.MinConns))),
		Act:        fmt.Sprintf("brute-forced %s on %s (%d %s)", p.service, p.dst, attempts, unit),
		Evidence:   ev, Detector: "bruteforce", MITRE: mitre,
	}
	switch technique {
	case "spraying":
		a.Act = fmt.Sprintf("sprayed %s on %s with %d passwords over %d accounts (%d %s)", p.service, p.dst, len(p.passwords), len(p.users), attempts, unit)
	case "stuffing":
		a.Act = fmt.Sprintf("stuffed credentials into %s on %s: %d accounts, each with its own password (%d %s)", p.service, p.dst, len(p.users), attempts, unit)
	}
	switch {
	case p.spraying():
		d.sprayAlert(p, &a)
	case p.crowd():
		d.crowdAlert(p, &a)
	default:
		a.Dst = p.dst.String()
	}
	actor := p.src.String()
	if p.crowd() {
		actor = fmt.Sprintf("%d sources", len(p.servers))
	}
	if p.successAfter {
		a.Act += " and logged in"
		switch {
		case p.spraying() && len(p.loggedIn) > 0:
			a.Act += " on " + strings.Join(a.Dsts[:len(p.loggedIn)], ", ")
		case p.crowd() && len(p.loggedIn) > 0:
			a.Act += " from " + strings.Join(addrTexts(p.loggedIn), ", ")
		}
		ev["likely_compromised"] = true
		a.Severity = alert.Critical
	}
	a.Summary = fmt.Sprintf("%s %s between %s and %s.", actor, a.Act, alert.Clock(p.first), alert.Clock(p.Last))
	return a
}

// maxCrowdListed bounds the sources a distributed brute force's alert
// lists (the most failing first); it counts them all.
const maxCrowdListed = 20

// crowdAlert makes a the report of crowd entry p: no source (many), the
// server as destination, the sources with the most failures listed in
// the evidence.
func (d *Detector) crowdAlert(p *pair, a *alert.Alert) {
	sources := make([]netip.Addr, 0, len(p.servers))
	most := 0
	for s, n := range p.servers {
		sources = append(sources, s)
		most = max(most, n)
	}
	slices.SortFunc(sources, func(x, y netip.Addr) int {
		if c := cmp.Compare(p.servers[y], p.servers[x]); c != 0 {
			return c
		}
		return x.Compare(y)
	})
	a.Src, a.Dst = "", p.dst.String()
	a.Evidence["kind"], a.Evidence["sources"], a.Evidence["source_count"] = "distributed", addrTexts(sources[:min(len(sources), maxCrowdListed)]), len(p.servers)
	a.Evidence["threshold_sources"], a.Evidence["threshold_crowd_failures"], a.Evidence["most_failures_of_one_source"] = d.cfg.CrowdSources, d.cfg.CrowdFailures, most
	if len(p.loggedIn) > 0 {
		a.Evidence["logged_in_from"] = addrTexts(p.loggedIn)
	}
	a.Confidence = min(1, 0.5+0.4*float64(len(p.servers))/float64(4*d.cfg.CrowdSources))
	a.Act = fmt.Sprintf("brute-forced %s on %s together (%d failed logins, at most %d from one source)", p.service, p.dst, p.failures, most)
}

func addrTexts(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

// Techniques of a pair's logins, told apart where the login facts showed
// the passwords tried (FTP, telnet, HTTP Basic and forms, MQTT): few
// accounts and many passwords are guessing (T1110.001, the class's own);
// many accounts (minAccounts or more) tried with a few passwords
// (maxSprayPasswords at most, fewer than the accounts) are password
// spraying (T1110.003); many accounts each tried once or twice, with
// about as many passwords, are credential stuffing (T1110.004): pairs
// from a breach. Counting stops at 64 accounts and 64 passwords.
const (
	minAccounts       = 5
	maxSprayPasswords = 3
)

// technique names how p's logins were guessed and its ATT&CK technique
// when it is not the class's (guessing); "" when the passwords are not
// known.
func (p *pair) technique() (name string, mitre []string) {
	if p.spraying() || len(p.passwords) == 0 {
		return "", nil
	}
	accounts, passwords := len(p.users), len(p.passwords)
	most := 0
	for _, n := range p.users {
		most = max(most, n)
	}
	switch {
	case accounts >= minAccounts && passwords <= maxSprayPasswords && passwords < accounts:
		return "spraying", []string{"T1110.003"}
	case accounts >= minAccounts && most <= 2 && 2*passwords >= accounts:
		return "stuffing", []string{"T1110.004"}
	}
	return "guessing", nil
}

// sprayAlert makes a the report of spraying entry p: the servers as
// destinations, those it logged in on first (an alert lists at most
// alert.MaxDsts, and EVE's dest_ip is the first), its confidence growing
// with their number.
func (d *Detector) sprayAlert(p *pair, a *alert.Alert) {
	servers := make([]netip.Addr, 0, len(p.servers))
	for s := range p.servers {
		if !slices.Contains(p.loggedIn, s) {
			servers = append(servers, s)
		}
	}
	slices.SortFunc(servers, netip.Addr.Compare)
	servers = append(slices.Clone(p.loggedIn), servers...)
	a.Dsts = addrTexts(servers)
	a.DstCount = len(servers)
	if len(p.loggedIn) > 0 {
		a.Evidence["logged_in_on"] = a.Dsts[:len(p.loggedIn)]
	}
	a.MITRE = []string{"T1110.003"} // password spraying
	a.Confidence = min(1, 0.6+0.4*float64(len(servers))/float64(4*d.cfg.SprayServers))
	a.Act = fmt.Sprintf("tried %s logins on %d servers (%d failed logins)", p.service, len(servers), p.failures)
	// servers counts those that refused it, as threshold_servers does.
	a.Evidence["kind"], a.Evidence["servers"], a.Evidence["threshold_servers"] = "spray", len(p.servers), d.cfg.SprayServers
}
