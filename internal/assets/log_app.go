package assets

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Application logs: the software servers announce (SSH, HTTP Server,
// SNMP sysDescr, TLS certificates), what clients say they are (HTTP
// User-Agent, SSH client, TLS fingerprints), the endpoints they use (SNI,
// Host) and the logins they make.

// appRec holds the fields of http, ssl, ssh, ftp, smtp and snmp records
// the inventory reads (one struct: each log fills its own).
type appRec struct {
	ts                 float64
	uid                string
	id                 connID
	host, userAgent    string
	server, banner     string
	username, password string
	hasPassword        bool
	status             uint64
	version            value // read by few logs: decoded by them (ssl, snmp)
	sni                string
	certFP, ja3, ja4   string
	established        bool
	proxied            bool // ssl.log: through an HTTP CONNECT or SOCKS proxy
	client             string
	authSuccess        string
	success            bool // the login facts' outcome
	form               bool // an "_http_auth" fact of a login form
	command, reply     string
	replyCode          uint64
	community, descr   string
	getResponses       uint64
	dataH              netip.Addr
	dataP              uint16
	// ntlm.log: the client's workstation name, the server's names.
	workstation, serverNB, serverDNS string
	// http.log from its producer's typed record: User-Agent and Server
	// as written, decoded by httpSoftware only for a record with a local
	// side (a third of the benchmark's requests have none).
	agentV, serverV value
	typed           bool
}

func (inv *Inventory) decodeApp(line []byte, r *appRec) error {
	*r = appRec{}
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	for _, fl := range inv.leadingIDs(f, &r.ts, &r.uid, &r.id) {
		k, v := f.Key(fl), value{f.Value(fl)}
		switch string(k) {
		case "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p":
			inv.takeID(&r.ts, &r.uid, &r.id, k, v)
		case "host":
			r.host = inv.intern(v)
		case "user_agent":
			r.userAgent = remembered(inv.agents, v)
		case "server":
			r.server = inv.intern(v)
		case "banner":
			r.banner = v.str()
		case "username", "user":
			r.username = v.str()
		case "password":
			r.password, r.hasPassword = v.str(), v.kind() != kindNull // null: not known
		case "status_code":
			r.status = v.uint()
		case "version":
			r.version = v
		case "server_name":
			r.sni = inv.intern(v)
		case "cert_chain_fps":
			if fps := v.strs(1); len(fps) > 0 {
				r.certFP = fps[0]
			}
		case "ja3":
			r.ja3 = inv.intern(v)
		case "ja4":
			r.ja4 = inv.intern(v)
		case "established":
			r.established = v.bool()
		case "proxied":
			r.proxied = v.bool()
		case "client":
			r.client = inv.intern(v)
		case "auth_success":
			r.authSuccess = string(v.raw())
		case "success":
			r.success = v.bool()
		case "form":
			r.form = v.bool()
		case "command":
			r.command = v.str()
		case "reply_msg":
			r.reply = v.str()
		case "reply_code":
			r.replyCode = v.uint()
		case "community":
			r.community = v.str()
		case "display_string":
			r.descr = v.str()
		case "get_responses":
			r.getResponses = v.uint()
		case "data_channel.resp_h":
			r.dataH = inv.addr(v)
		case "data_channel.resp_p":
			r.dataP = uint16(v.uint())
		case "hostname":
			r.workstation = v.str()
		case "server_nb_computer_name":
			r.serverNB = v.str()
		case "server_dns_computer_name":
			r.serverDNS = v.str()
		}
	}
	return nil
}

// sides returns the local entities of a record's originator and
// responder (nil for others); the originator sent the record's request.
func (inv *Inventory) sides(r *appRec) (orig, resp *ipEntity) {
	return inv.sender(r.id.origH, r.ts), inv.sender(r.id.respH, r.ts)
}

func (r *appRec) obs(log string) obs {
	return obs{log: log, uid: r.uid, ts: r.ts, proto: "tcp", id: r.id}
}

// observeOn applies rules to key=value about e (no-op when e is nil).
// o's key, value and field are set for the call and restored after it.
func (inv *Inventory) observeOn(e *ipEntity, o *obs, key, value, field string) string {
	if e == nil || value == "" {
		return ""
	}
	k, v, f := o.key, o.value, o.field
	o.key, o.value, o.field = key, value, field
	name := inv.observe(&e.entity, target{addr: e.addr}, o)
	o.key, o.value, o.field = k, v, f
	return name
}

// noteUsed remembers the name a client used for a connection (until its
// conn record counts it) and observes it.
func (inv *Inventory) noteUsed(client *ipEntity, uid, raw string, o *obs, field string) {
	name := inv.keepUsed(uid, raw)
	if name == "" {
		return
	}
	inv.observeOn(client, o, "used.name", name, field)
}

// keptName is an entry keepUsed made in uidNames: the uid, the name as
// the record gave it, and as it is kept.
type keptName struct{ uid, raw, name string }

// keptNames remembers the entries keepUsed made, in a direct-mapped
// table: a uid's slot holds the last entry made for a uid that lands
// there, as long as uidNames holds it (a slot is emptied when its uid's
// entry goes).
type keptNames [keptSlots]keptName

const keptBits = 8
const keptSlots = 1 << keptBits

// slot returns the slot of uid: a hash of its length and of its first
// and last eight bytes (all of them when it is shorter).
func (t *keptNames) slot(uid string) *keptName {
	x := (endsHash(uid) ^ uint64(len(uid))) * 0x9e3779b97f4a7c15
	return &t[x>>(64-keptBits)]
}

// forget empties uid's slot when it holds uid's entry.
func (t *keptNames) forget(uid string) {
	if s := t.slot(uid); s.uid == uid {
		*s = keptName{}
	}
}

// keepUsed returns usedName(raw) and keeps it as uid's name in uidNames
// (not for an empty uid). A connection's requests mostly name the same
// host: when uid's entry is raw's name already (its slot says so),
// nothing is looked up. A full uidNames is cleared as before.
func (inv *Inventory) keepUsed(uid, raw string) string {
	var slot *keptName
	if uid != "" {
		slot = inv.kept.slot(uid)
		if slot.uid == uid && slot.raw == raw && len(inv.uidNames) < maxUIDNames {
			return slot.name
		}
	}
	name := inv.usedName(raw)
	if name == "" || slot == nil {
		return name
	}
	if len(inv.uidNames) >= maxUIDNames {
		clear(inv.uidNames)
		clear(inv.kept[:])
	}
	inv.uidNames[uid] = name
	*slot = keptName{uid: uid, raw: raw, name: name}
	return name
}

// usedName is a name a client used as noteUsed keeps it: lower case,
// without a trailing dot or a port; "" for an address. The same few
// names come in every request (each to a site has its Host), so the
// answers are kept, in a bounded cache.
func (inv *Inventory) usedName(name string) string {
	if n, ok := inv.usedNames[name]; ok {
		return n
	}
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if h, _, err := netSplitHostPort(n); err == nil {
		n = h
	}
	if isAddrLiteral(n) {
		n = ""
	}
	if len(inv.usedNames) >= maxUsedNames {
		clear(inv.usedNames)
	}
	inv.usedNames[name] = n
	return n
}

// isAddrLiteral reports whether name is an IP address, in brackets or
// not. Without a colon only digits and dots make one (IPv4): a name with
// anything else is not parsed.
func isAddrLiteral(name string) bool {
	if strings.IndexByte(name, ':') < 0 {
		for i := 0; i < len(name); i++ {
			if c := name[i]; (c < '0' || c > '9') && c != '.' && c != '[' && c != ']' {
				return false
			}
		}
	}
	_, err := netip.ParseAddr(strings.Trim(name, "[]"))
	return err == nil
}

// netSplitHostPort splits "host:port" (a bare host is an error).
func netSplitHostPort(s string) (string, string, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		return "", "", errNoPort
	}
	if _, err := strconv.Atoi(s[i+1:]); err != nil {
		return "", "", errNoPort
	}
	return strings.Trim(s[:i], "[]"), s[i+1:], nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errNoPort = constError("no port")

const maxFTPData = 1 << 12

// setBanner records a server's banner on its service.
func (e *ipEntity) setBanner(proto string, port uint16, ts float64, banner, kind string) *serviceState {
	if e == nil || banner == "" {
		return nil
	}
	s := e.service(proto, port, ts)
	if s == nil {
		return nil
	}
	s.Banner = banner
	s.Software, s.Version = parseSoftware(banner, kind)
	return s
}

func (inv *Inventory) onHTTP(line []byte) error {
	var r appRec
	if err := inv.decodeHTTP(line, &r); err != nil {
		return err
	}
	client, server := inv.sides(&r)
	if client == nil && server == nil && r.username == "" {
		if r.host != "" { // remembered for the conn record, observed by nobody
			inv.keepUsed(r.uid, r.host)
		}
		return nil
	}
	inv.httpSoftware(&r, server != nil)
	o := r.obs("http")
	o.service = "http"
	if r.userAgent != "" {
		o.with("user_agent", r.userAgent)
		inv.observeOn(client, &o, "http.user_agent", r.userAgent, "user_agent")
	}
	if r.host != "" {
		inv.noteUsed(client, r.uid, r.host, &o, "host")
	}
	if s := server.setBanner("tcp", r.id.respP, r.ts, r.server, "http"); s != nil {
		inv.observeOn(server, &o, "http.server", r.server, "server")
	}
	if r.username != "" {
		o.with("status_code", strconv.FormatUint(r.status, 10))
		inv.login(server, o, "http", r.username, r.password, r.hasPassword, r.status >= 200 && r.status < 400)
	}
	return nil
}

// decodeHTTP is decodeApp for an http record: from the fields its
// producer located (rec.HTTP) when it did, read as decodeApp reads them
// (but the status code, only for a login). r must be zero.
func (inv *Inventory) decodeHTTP(line []byte, r *appRec) error {
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	h := f.HTTP()
	if h == nil {
		return inv.decodeApp(line, r)
	}
	// r is the caller's zero record: its fields are set one by one, not
	// by a literal copied over it.
	raw := func(s rec.Span) value { return value{s.Raw(line)} }
	r.ts, r.uid = h.TS, inv.uid(raw(h.UID))
	r.id = connID{origH: h.Orig.Unmap(), origP: h.OrigP, respH: h.Resp.Unmap(), respP: h.RespP}
	r.host, r.username = inv.intern(raw(h.Host)), raw(h.Username).str()
	r.agentV, r.serverV, r.typed = raw(h.UserAgent), raw(h.Server), true
	if r.username != "" { // the status is read by a login only
		r.status = raw(h.StatusCode).uint()
	}
	if h.Password.End > 0 {
		pw := raw(h.Password)
		r.password, r.hasPassword = pw.str(), pw.kind() != kindNull
	}
	return nil
}

// httpSoftware decodes the User-Agent of a typed http record, and its
// Server when withServer (the server is local: no other reads it).
func (inv *Inventory) httpSoftware(r *appRec, withServer bool) {
	if !r.typed {
		return
	}
	r.userAgent = remembered(inv.agents, r.agentV)
	if withServer {
		r.server = inv.intern(r.serverV)
	}
}

func (inv *Inventory) onSSL(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	client, server := inv.sides(&r)
	o := r.obs("ssl")
	o.service = "ssl"
	version := inv.intern(r.version)
	if strings.HasPrefix(version, "DTLS") {
		o.proto, o.service = "udp", "dtls"
	}
	if r.sni != "" {
		inv.noteUsed(client, r.uid, r.sni, &o, "server_name")
		if server != nil && !r.proxied {
			inv.addName(&server.entity, target{addr: server.addr}, r.sni, "tls-sni", o)
		}
	}
	inv.observeOn(client, &o, "ssl.ja3", r.ja3, "ja3")
	inv.observeOn(client, &o, "ssl.ja4", r.ja4, "ja4")
	if server == nil || r.proxied {
		// Through a proxy the responder is the proxy: the name, version
		// and certificate are the far server's, not its.
		return nil
	}
	s := server.service(o.proto, r.id.respP, r.ts)
	if s != nil && version != "" && !contains(s.TLSVersions, version) && len(s.TLSVersions) < 8 {
		s.TLSVersions = append(s.TLSVersions, version)
	}
	o.with("server_name", r.sni).with("established", strconv.FormatBool(r.established))
	inv.observeOn(server, &o, "ssl.version", version, "version")
	if r.certFP != "" {
		server.addCert(r.certFP)
		if s != nil && s.certFP == "" {
			s.certFP = r.certFP
		}
		inv.certSeen(server, r.certFP, o)
	}
	return nil
}

// onNTLM reads an NTLM login (ntlm.log, from SMB session setups): the
// workstation name the client gave names the client, the names from the
// server's challenge (DNS computer name, NetBIOS name) the server; all
// with the source "ntlm".
func (inv *Inventory) onNTLM(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	client, server := inv.sides(&r)
	o := r.obs("ntlm")
	if client != nil {
		inv.addName(&client.entity, target{addr: client.addr}, r.workstation, "ntlm", o)
	}
	if server != nil {
		inv.addName(&server.entity, target{addr: server.addr}, r.serverDNS, "ntlm", o)
		inv.addName(&server.entity, target{addr: server.addr}, r.serverNB, "ntlm", o)
	}
	return nil
}

func (inv *Inventory) onSSH(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	client, server := inv.sides(&r)
	o := r.obs("ssh")
	o.service = "ssh"
	if s := server.setBanner("tcp", r.id.respP, r.ts, r.server, "ssh"); s != nil {
		if s.Name == "" {
			s.Name = "ssh"
		}
		inv.observeOn(server, &o, "ssh.server", r.server, "server")
	}
	inv.observeOn(client, &o, "ssh.client", r.client, "client")
	return nil
}

// onMySQLServer reads a MySQL server's greeting (the "_mysql_server" facts
// of internal/proto/mysql): its version string is the service's banner.
func (inv *Inventory) onMySQLServer(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	_, server := inv.sides(&r)
	version := r.version.str()
	o := r.obs("mysql")
	o.service = "mysql"
	if s := server.setBanner("tcp", r.id.respP, r.ts, version, "mysql"); s != nil {
		if s.Name == "" {
			s.Name = "mysql"
		}
		inv.observeOn(server, &o, "mysql.server", version, "version")
	}
	return nil
}

func (inv *Inventory) onFTP(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	_, server := inv.sides(&r)
	if r.dataH.IsValid() && r.dataP != 0 {
		if len(inv.ftpData) >= maxFTPData {
			clear(inv.ftpData)
		}
		inv.ftpData[netip.AddrPortFrom(r.dataH, r.dataP)] = struct{}{}
	}
	o := r.obs("ftp")
	o.service = "ftp"
	if s := server.setBanner("tcp", r.id.respP, r.ts, r.banner, "ftp"); s != nil {
		inv.observeOn(server, &o, "ftp.banner", r.banner, "banner")
	}
	if strings.EqualFold(r.command, "SYST") && r.reply != "" {
		o.with("command", "SYST")
		inv.observeOn(server, &o, "ftp.syst", r.reply, "reply_msg")
	}
	if r.username != "" && r.username != "<unknown>" {
		o.with("command", r.command).with("reply_code", strconv.FormatUint(r.replyCode, 10))
		// A logged command comes after the login: the server accepted it.
		inv.login(server, o, "ftp", r.username, r.password, r.hasPassword && r.password != "<hidden>", true)
	}
	return nil
}

func (inv *Inventory) onSMTP(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	_, server := inv.sides(&r)
	o := r.obs("smtp")
	o.service = "smtp"
	if s := server.setBanner("tcp", r.id.respP, r.ts, r.banner, "smtp"); s != nil {
		inv.observeOn(server, &o, "smtp.banner", r.banner, "banner")
	}
	return nil
}

func (inv *Inventory) onSNMP(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	o := r.obs("snmp")
	o.proto, o.service = "udp", "snmp"
	agent := inv.sender(r.id.respH, r.ts)
	if r.id.respP == 162 { // a trap: the agent sent it
		agent = inv.sender(r.id.origH, r.ts)
	}
	if agent == nil {
		return nil
	}
	if s := agent.setBanner("udp", 161, r.ts, r.descr, "snmp"); s != nil {
		s.Name = "snmp"
		inv.observeOn(agent, &o, "snmp.sysdescr", r.descr, "display_string")
	}
	// A trap is a notification the agent sends its manager, not a login:
	// its community says nothing of what the agent accepts.
	if version := inv.intern(r.version); r.community != "" && (version == "1" || version == "2c") && r.id.respP != 162 {
		o.with("version", version).with("get_responses", strconv.FormatUint(r.getResponses, 10))
		inv.login(agent, o, "snmp", "", r.community, true, r.getResponses > 0)
	}
	return nil
}

// parseSoftware splits a banner into product and version: "SSH-2.0-
// OpenSSH_8.9p1 Ubuntu-3" → OpenSSH, 8.9p1; "nginx/1.18.0 (Ubuntu)" →
// nginx, 1.18.0; for SSDP/UPnP server strings the product token that is
// neither UPnP nor DLNA.
func parseSoftware(banner, kind string) (string, string) {
	switch kind {
	case "ssh":
		b := banner
		if strings.HasPrefix(b, "SSH-") {
			if i := strings.IndexByte(b[4:], '-'); i >= 0 {
				b = b[4+i+1:]
			}
		}
		tok, _, _ := strings.Cut(b, " ")
		return splitProductVersion(tok, "_-")
	case "ssdp":
		fields := strings.FieldsFunc(banner, func(r rune) bool { return r == ' ' || r == ',' })
		for i := len(fields) - 1; i >= 0; i-- {
			p, v := splitProductVersion(fields[i], "/")
			if !strings.EqualFold(p, "UPnP") && !strings.EqualFold(p, "DLNADOC") && v != "" {
				return p, v
			}
		}
		return "", ""
	case "ftp", "smtp":
		return "", ""
	case "mysql":
		return mysqlSoftware(banner)
	}
	tok, _, _ := strings.Cut(banner, " ")
	return splitProductVersion(tok, "/")
}

// mysqlSoftware names the product and version of a MySQL greeting's
// version string: "8.0.36-0ubuntu0.22.04.1" → MySQL, 8.0.36;
// "5.5.5-10.6.12-MariaDB-0ubuntu0.22.04.1" (MariaDB's replication-safe
// prefix) → MariaDB, 10.6.12.
func mysqlSoftware(v string) (string, string) {
	if i := strings.Index(v, "-MariaDB"); i >= 0 {
		return "MariaDB", strings.TrimPrefix(v[:i], "5.5.5-")
	}
	version, _, _ := strings.Cut(v, "-")
	if version == "" || version[0] < '0' || version[0] > '9' {
		return "", ""
	}
	return "MySQL", version
}

// splitProductVersion cuts tok at the first separator followed by a
// digit.
func splitProductVersion(tok, seps string) (string, string) {
	for i := 0; i+1 < len(tok); i++ {
		if strings.IndexByte(seps, tok[i]) >= 0 && (tok[i+1] >= '0' && tok[i+1] <= '9' || tok[i+1] == 'v' && i+2 < len(tok) && tok[i+2] >= '0' && tok[i+2] <= '9') {
			return tok[:i], strings.TrimPrefix(tok[i+1:], "v")
		}
	}
	return tok, ""
}
