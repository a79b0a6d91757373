package assets

import (
	"net/netip"
	"strconv"
	"strings"
)

// guestUsers log in without a secret (FTP's anonymous convention).
var guestUsers = map[string]bool{"anonymous": true, "ftp": true, "guest": true, "ftpuser": true}

// login judges a login seen in clear text on protocol: a cleartext_login
// finding for the server, and a default_creds (accepted) or
// default_creds_tried finding when the user and password are a
// well-known default pair. For SNMP the community is the password.
func (inv *Inventory) login(server *ipEntity, o obs, protocol, user, pass string, hasPass, accepted bool) {
	t, ok := loginTarget(server, &o, protocol, user, accepted)
	if !ok {
		return
	}
	if !guestUsers[strings.ToLower(user)] {
		o.key, o.value = "login", "user "+user
		if protocol == "snmp" {
			o.value = "SNMP community"
		}
		inv.raise("cleartext_login", t, &o, "", "")
	}
	if hasPass {
		inv.defaultPair(t, o, protocol, user, pass, accepted)
	}
}

// loginTarget returns the server a login went to (false: none known) and
// sets o's service and the login's outcome and user.
func loginTarget(server *ipEntity, o *obs, protocol, user string, accepted bool) (target, bool) {
	t := target{addr: o.id.respH}
	if server != nil {
		t = target{addr: server.addr}
	}
	o.service = protocol
	o.with("accepted", strconv.FormatBool(accepted))
	if user != "" {
		o.with("user", user)
	}
	return t, t.addr.IsValid()
}

// defaultPair raises default_creds (accepted) or default_creds_tried on t
// when user and pass are a well-known default pair of protocol.
func (inv *Inventory) defaultPair(t target, o obs, protocol, user, pass string, accepted bool) {
	if c, ok := inv.defaultCred(protocol, user, pass); ok {
		// The rule's spelling of the user: user names match case-blind, and
		// ROOT/xc3511 and root/xc3511 are one default pair, not two.
		o.key, o.value = "credentials", credString(protocol, c.User, pass)
		o.with("source", c.Source)
		kind, extra := "default_creds_tried", "" // the pairs tried gather into one finding (gathering)
		if accepted {
			kind, extra = "default_creds", o.value
		}
		inv.raise(kind, t, &o, extra, "")
	}
}

// defaultCred returns the well-known default pair of protocol that user
// (case-blind) and pass are, if any.
func (inv *Inventory) defaultCred(protocol, user, pass string) (Credential, bool) {
	for _, c := range inv.rules.credentials {
		if credApplies(c, protocol) && strings.EqualFold(c.User, user) && c.Password == pass {
			return c, true
		}
	}
	return Credential{}, false
}

func credApplies(c Credential, protocol string) bool {
	if len(c.Protocols) == 0 {
		return protocol != "snmp" // user/password pairs are not communities
	}
	for _, p := range c.Protocols {
		if strings.EqualFold(p, protocol) {
			return true
		}
	}
	return false
}

func credString(protocol, user, pass string) string {
	if protocol == "snmp" {
		return "community " + pass
	}
	return user + "/" + pass
}

// onTelnetAuth reads a telnet login attempt (the "_telnet_auth" facts of
// internal/proto/telnet: user, password, success): a cleartext_login
// finding for the server, default_creds when a well-known default pair
// got in, default_creds_tried when it was refused.
func (inv *Inventory) onTelnetAuth(line []byte) error {
	var r appRec
	if err := inv.decodeApp(line, &r); err != nil {
		return err
	}
	_, server := inv.sides(&r)
	o := r.obs("_telnet_auth")
	user := r.username
	if user == "" {
		user = "<none>" // the server asked for a password only
	}
	inv.login(server, o, "telnet", user, r.password, r.hasPassword, r.success)
	return nil
}

// onLoginFact reads the login attempts of protocol's facts ("_ftp_auth",
// "_http_auth", "_mqtt_auth" of internal/proto/ftp, http and mqtt: user,
// password, success), which carry the passwords ftp.log, http.log and
// mqtt_connect.log hide (as Zeek's): a well-known default pair is
// default_creds, or default_creds_tried when refused; a fact without a
// password (an MQTT CONNECT that sent none) is judged by no pair. The
// cleartext_login finding comes from the logs (MQTT's: mqtt_cleartext),
// but for login forms, which http.log does not show: their facts raise it.
func (inv *Inventory) onLoginFact(protocol string) func([]byte) error {
	log := "_" + protocol + "_auth"
	return func(line []byte) error {
		var r appRec
		if err := inv.decodeApp(line, &r); err != nil {
			return err
		}
		_, server := inv.sides(&r)
		o := r.obs(log)
		if r.status != 0 {
			o.with("status_code", strconv.FormatUint(r.status, 10))
		}
		if r.form {
			// http.log has no user for a login form: its fact is the
			// login seen in clear text, as a Basic login's record is.
			user := r.username
			if user == "" {
				user = "<none>" // a password-only form
			}
			inv.login(server, o, protocol, user, r.password, r.hasPassword, r.success)
			return nil
		}
		if t, ok := loginTarget(server, &o, protocol, r.username, r.success); ok && r.hasPassword {
			inv.defaultPair(t, o, protocol, r.username, r.password, r.success)
		}
		return nil
	}
}

// loginProtocols are the protocols whose logins the inventory judges
// (telnet, FTP, HTTP, MQTT and MySQL facts, http.log, ftp.log, snmp.log).
var loginProtocols = map[string]bool{"telnet": true, "http": true, "ftp": true, "mqtt": true, "snmp": true, "mysql": true}

// ReportsLogin reports whether the inventory reports an accepted login
// on protocol with user and password (as the record gave it: "" is an
// empty password, not an unknown one) to server's port: login judged the
// record (the inventory reads it before the detection engine does) and
// made, or met again, a default_creds finding for that server, port and
// pair. The Mirai detector asks (insight wires it, and alerts each
// client's logins of a finding as that client's), so that one login makes
// one alert.
func (inv *Inventory) ReportsLogin(protocol, user, password string, server netip.Addr, port uint16) bool {
	if !loginProtocols[protocol] || protocol == "ftp" && password == "<hidden>" {
		return false
	}
	if protocol == "telnet" && user == "" {
		user = "<none>" // as onTelnetAuth names a password-only login
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	c, ok := inv.defaultCred(protocol, user, password)
	if !ok {
		return false
	}
	o := obs{proto: "tcp", id: connID{respH: server, respP: port}}
	_, ok = inv.findings[findingKey("default_creds", target{addr: server}, &o, credString(protocol, c.User, password))]
	return ok
}
