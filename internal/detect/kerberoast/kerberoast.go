// Package kerberoast reports Kerberoasting (class kerberos.kerberoast,
// ATT&CK T1558.003): a client asks the KDC for service tickets of many
// services, with a cipher it can crack offline (RC4, DES), to guess the
// services' account passwords from the tickets. A workstation asks for the
// tickets of the few services it uses; an attacker (Rubeus, impacket's
// GetUserSPNs, or kvno in a loop) for every service principal of the
// domain, often forcing RC4.
//
// The rule reads kerberos.log: TGS exchanges that got a ticket encrypted
// with rc4-hmac or a DES cipher, for a service other than krbtgt. A client
// that got such tickets for at least MinServices distinct services of one
// KDC within Window seconds is reported once a Window, with the services
// (up to alert.MaxDsts) and the ciphers. Clients are the connections'
// originators (kerberos.log's client names the account, which the alert
// carries).
//
// AS-REP roasting (class kerberos.asreproast, T1558.004) is the same
// attack on accounts that need no pre-authentication: anyone may ask the
// KDC for their AS-REP, whose part encrypted with the account's key is
// cracked offline. From the "_krb_as" facts of internal/proto/krb: an
// AS-REP to a request that did not pre-authenticate its client, that
// part encrypted with RC4 or DES; a client that got such replies for
// MinASRepUsers accounts of one KDC within Window is reported once a
// Window, with the accounts: a user's own login without
// pre-authentication (an old realm's: tcpdump's 1999 AFS capture, DES)
// names one account, a roasting tool every account it can. (An MIT
// realm's clients ask without pre-authentication first, and get AES
// replies for accounts that need none: no alert.)
//
// State: at most MaxClients (client, KDC) pairs per rule, the tenth seen
// longest ago dropped past it, each with at most MaxServices services or
// accounts.
package kerberoast

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Alert classes.
const (
	Class      = "kerberos.kerberoast"
	ASRepClass = "kerberos.asreproast"
)

// MaxServices bounds the services kept per client.
const MaxServices = 64

// Config holds the detector's thresholds.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinServices distinct services' weak tickets within Window make an
	// alert.
	MinServices int `json:"min_services"`
	// MinASRepUsers accounts' weak AS-REPs without pre-authentication
	// within Window make an AS-REP roasting alert.
	MinASRepUsers int     `json:"min_asrep_users"`
	Window        float64 `json:"window_s"`
	MaxClients    int     `json:"max_clients"`
}

// DefaultConfig returns the defaults: 5 services in 10 minutes; two
// accounts' weak AS-REPs without pre-authentication (a user logging in
// without pre-authentication, in a realm of the 1990s, asks for one).
func DefaultConfig() Config {
	return Config{Enabled: true, MinServices: 5, MinASRepUsers: 2, Window: 600, MaxClients: 10_000}
}

type key struct{ client, kdc netip.Addr }

// client is one client's weak tickets from one KDC in its window.
type client struct {
	first, last float64
	services    []string
	accounts    []string // kerberos.log's client names (at most 4)
	ciphers     []string
	uids        alert.UIDs
	reported    bool
}

// Detector is the Kerberoasting detector.
type Detector struct {
	cfg     Config
	clients map[key]*client // TGS tickets; services are the services
	asrep   map[key]*client // AS-REPs without pre-authentication; services are the accounts
}

// New returns a Kerberoasting detector.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg, clients: map[key]*client{}, asrep: map[key]*client{}}
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "kerberoast" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"kerberos", "_krb_as"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	if r.Log == "_krb_as" {
		d.asRep(r, emit)
		return
	}
	if r.Str("request_type") != "TGS" {
		return
	}
	if ok, _ := r.Bool("success"); !ok {
		return
	}
	cipher := r.Str("cipher")
	if !weak(cipher) {
		return
	}
	service := r.Str("service")
	if service == "" || strings.HasPrefix(strings.ToLower(service), "krbtgt/") {
		return
	}
	cl := d.note(d.clients, r.Conn(), service, cipher)
	if account := r.Str("client"); account != "" && !slices.Contains(cl.accounts, account) && len(cl.accounts) < 4 {
		cl.accounts = append(cl.accounts, account)
	}
	if !cl.reported && len(cl.services) >= d.cfg.MinServices {
		cl.reported = true
		emit(d.alert(key{r.Conn().Orig, r.Conn().Resp}, cl))
	}
}

// asRep reads an "_krb_as" fact: a weak AS-REP to a request without
// pre-authentication.
func (d *Detector) asRep(r *rec.Rec, emit alert.Emit) {
	if pre, ok := r.Bool("preauth"); !ok || pre {
		return
	}
	cipher, user := r.Str("cipher"), r.Str("user")
	if !weak(cipher) || user == "" {
		return
	}
	c := r.Conn()
	cl := d.note(d.asrep, c, user, cipher)
	if !cl.reported && len(cl.services) >= d.cfg.MinASRepUsers {
		cl.reported = true
		emit(d.asRepAlert(key{c.Orig, c.Resp}, cl))
	}
}

// note adds name (a service or an account) with cipher to c's client in
// table, starting its window anew once the last one ended.
func (d *Detector) note(table map[key]*client, c *rec.Conn, name, cipher string) *client {
	k := key{c.Orig, c.Resp}
	cl := table[k]
	if cl != nil && c.TS-cl.first >= d.cfg.Window {
		delete(table, k)
		cl = nil
	}
	if cl == nil {
		if len(table) >= d.cfg.MaxClients {
			evict.DropTenth(table, func(cl *client) float64 { return cl.last })
		}
		cl = &client{first: c.TS}
		table[k] = cl
	}
	cl.last = max(cl.last, c.TS)
	cl.uids.Add(c.TS, c.UID)
	if !slices.Contains(cl.services, name) && len(cl.services) < MaxServices {
		cl.services = append(cl.services, name)
	}
	if !slices.Contains(cl.ciphers, cipher) && len(cl.ciphers) < 4 {
		cl.ciphers = append(cl.ciphers, cipher)
	}
	return cl
}

// weak reports whether a ticket's cipher can be cracked offline at speed.
func weak(cipher string) bool {
	return strings.HasPrefix(cipher, "rc4-hmac") || strings.HasPrefix(cipher, "des-")
}

// Flush implements detect.Detector: windows that ended are forgotten.
func (d *Detector) Flush(now float64, _ alert.Emit) {
	for _, table := range []map[key]*client{d.clients, d.asrep} {
		for k, cl := range table {
			if now-cl.first >= d.cfg.Window {
				delete(table, k)
			}
		}
	}
}

func (d *Detector) alert(k key, cl *client) alert.Alert {
	services := slices.Clone(cl.services)
	sort.Strings(services)
	act := fmt.Sprintf("requested %s service tickets of %d services from the KDC %s (Kerberoasting)",
		strings.Join(cl.ciphers, "/"), len(cl.services), k.kdc)
	return alert.Alert{
		TS: cl.first, TSEnd: cl.last, UIDs: cl.uids.List(), Src: k.client.String(), Dst: k.kdc.String(),
		DstP: 88, Class: Class, Confidence: 0.8, Act: act,
		Summary: fmt.Sprintf("%s %s, between %s and %s.", k.client, act, alert.Clock(cl.first), alert.Clock(cl.last)),
		Evidence: map[string]any{
			"services": services[:min(len(services), alert.MaxDsts)], "service_count": len(cl.services),
			"ciphers": cl.ciphers, "accounts": cl.accounts, "threshold_services": d.cfg.MinServices, "window_s": d.cfg.Window,
		},
		Detector: "kerberoast",
	}
}

func (d *Detector) asRepAlert(k key, cl *client) alert.Alert {
	users := slices.Clone(cl.services)
	sort.Strings(users)
	act := fmt.Sprintf("got %s AS-REPs without pre-authentication for %d accounts (%s) from the KDC %s (AS-REP roasting)",
		strings.Join(cl.ciphers, "/"), len(users), strings.Join(users[:min(len(users), 5)], ", "), k.kdc)
	return alert.Alert{
		TS: cl.first, TSEnd: cl.last, UIDs: cl.uids.List(), Src: k.client.String(), Dst: k.kdc.String(),
		DstP: 88, Class: ASRepClass, Confidence: 0.7, Act: act,
		Summary: fmt.Sprintf("%s %s, between %s and %s.", k.client, act, alert.Clock(cl.first), alert.Clock(cl.last)),
		Evidence: map[string]any{
			"accounts": users[:min(len(users), alert.MaxDsts)], "account_count": len(users), "ciphers": cl.ciphers,
			"threshold_accounts": d.cfg.MinASRepUsers, "window_s": d.cfg.Window,
		},
		Detector: "kerberoast",
	}
}
