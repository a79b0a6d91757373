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
// State: at most MaxClients (client, KDC) pairs, the tenth seen longest
// ago dropped past it, each with at most MaxServices services.
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

// Class is the alert class.
const Class = "kerberos.kerberoast"

// MaxServices bounds the services kept per client.
const MaxServices = 64

// Config holds the detector's thresholds.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinServices distinct services' weak tickets within Window make an
	// alert.
	MinServices int     `json:"min_services"`
	Window      float64 `json:"window_s"`
	MaxClients  int     `json:"max_clients"`
}

// DefaultConfig returns the defaults: 5 services in 10 minutes.
func DefaultConfig() Config {
	return Config{Enabled: true, MinServices: 5, Window: 600, MaxClients: 10_000}
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
	clients map[key]*client
}

// New returns a Kerberoasting detector.
func New(cfg Config) *Detector { return &Detector{cfg: cfg, clients: map[key]*client{}} }

// Name implements detect.Detector.
func (d *Detector) Name() string { return "kerberoast" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"kerberos"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
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
	c := r.Conn()
	k := key{c.Orig, c.Resp}
	cl := d.clients[k]
	if cl != nil && c.TS-cl.first >= d.cfg.Window {
		delete(d.clients, k)
		cl = nil
	}
	if cl == nil {
		if len(d.clients) >= d.cfg.MaxClients {
			evict.DropTenth(d.clients, func(cl *client) float64 { return cl.last })
		}
		cl = &client{first: c.TS}
		d.clients[k] = cl
	}
	cl.last = max(cl.last, c.TS)
	cl.uids.Add(c.TS, c.UID)
	if !slices.Contains(cl.services, service) && len(cl.services) < MaxServices {
		cl.services = append(cl.services, service)
	}
	if !slices.Contains(cl.ciphers, cipher) && len(cl.ciphers) < 4 {
		cl.ciphers = append(cl.ciphers, cipher)
	}
	if account := r.Str("client"); account != "" && !slices.Contains(cl.accounts, account) && len(cl.accounts) < 4 {
		cl.accounts = append(cl.accounts, account)
	}
	if !cl.reported && len(cl.services) >= d.cfg.MinServices {
		cl.reported = true
		emit(d.alert(k, cl))
	}
}

// weak reports whether a ticket's cipher can be cracked offline at speed.
func weak(cipher string) bool {
	return strings.HasPrefix(cipher, "rc4-hmac") || strings.HasPrefix(cipher, "des-")
}

// Flush implements detect.Detector: windows that ended are forgotten.
func (d *Detector) Flush(now float64, _ alert.Emit) {
	for k, cl := range d.clients {
		if now-cl.first >= d.cfg.Window {
			delete(d.clients, k)
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
