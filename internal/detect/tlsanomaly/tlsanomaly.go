// Package tlsanomaly reports TLS anomalies (class tls.anomaly): servers
// presenting self-signed or expired (or not yet valid) certificates,
// certificates with an RSA key under MinRSABits or signed with SHA-1 or
// MD5 (a CA's signature, not a self-signed root's; a CA-issued one judged
// by the CA/Browser Forum rules of its issue date), external servers
// whose certificate does not cover the name the client asked for (ssl.log
// sni_matches_cert false), and clients whose JA3 or JA4 fingerprint is on
// a blocklist.
//
// x509.log carries no connection, so certificates are judged as they
// arrive and remembered by fingerprint; ssl.log's cert_chain_fps links a
// connection to its server certificate (whichever log comes first). From
// Suricata's EVE, which gives only a SHA-1, fingerprint_sha1 and
// cert_chain_fps_sha1 do. By
// default self-signed certificates of internal servers are not reported
// (printers, routers and lab servers use them), expired or not: a
// self-signed certificate's dates vouch for nothing, and such devices keep
// the one they were made with for years. Other expired certificates
// always are.
//
// State: at most MaxCerts judged certificates and MaxCerts pending ssl.log
// records (the oldest go first).
package tlsanomaly

import (
	"fmt"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the TLS checks.
type Config struct {
	Enabled    bool `json:"enabled"`
	SelfSigned bool `json:"self_signed"`
	// SelfSignedInternal also reports self-signed certificates of
	// internal servers.
	SelfSignedInternal bool `json:"self_signed_internal"`
	Expired            bool `json:"expired"`
	// WeakKey reports an RSA key shorter than MinRSABits.
	WeakKey    bool `json:"weak_key"`
	MinRSABits int  `json:"min_rsa_bits"`
	// WeakSignature reports a certificate that is not self-signed (a
	// CA vouched for it) signed with SHA-1 or MD5 (or MD2/MD4).
	WeakSignature bool `json:"weak_signature"`
	// SNIMismatch reports a connection to an external server whose
	// certificate does not cover the SNI (ssl.log sni_matches_cert false).
	SNIMismatch  bool     `json:"sni_mismatch"`
	JA3Blocklist []string `json:"ja3_blocklist"`
	JA4Blocklist []string `json:"ja4_blocklist"`
	MaxCerts     int      `json:"max_certs"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Enabled: true, SelfSigned: true, Expired: true, WeakKey: true, MinRSABits: 2048,
		WeakSignature: true, SNIMismatch: true, MaxCerts: 50_000}
}

// verdict is what was wrong with one certificate.
type verdict struct {
	problems   []string
	subject    string
	notAfter   float64
	selfSigned bool // subject = issuer, whether reported or not
}

type pending struct {
	ts                 float64
	uid, sni           string
	orig, resp         string
	origP, respP       uint16
	proto              string // "udp" for DTLS
	respInternal       bool
	fp                 string
	expiredAtHandshake bool
}

// Detector is the TLS anomaly detector.
type Detector struct {
	cfg      Config
	internal *netset.Set
	certs    map[string]*verdict
	order    []string
	waiting  map[string][]pending
	waitList []string
	ja3, ja4 map[string]bool
}

// New returns a TLS anomaly detector.
func New(cfg Config, internal *netset.Set) *Detector {
	d := &Detector{cfg: cfg, internal: internal, certs: map[string]*verdict{}, waiting: map[string][]pending{},
		ja3: map[string]bool{}, ja4: map[string]bool{}}
	for _, s := range cfg.JA3Blocklist {
		d.ja3[strings.ToLower(s)] = true
	}
	for _, s := range cfg.JA4Blocklist {
		d.ja4[strings.ToLower(s)] = true
	}
	return d
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "tls" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"x509", "ssl"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	switch r.Log {
	case "x509":
		d.cert(r, emit)
	case "ssl":
		d.ssl(r, emit)
	}
}

// certKey is what a certificate is known by: its SHA-256 fingerprint, or
// its SHA-1 where that is all the input has (Suricata's EVE), marked so
// that the two never meet.
func certKey(sha256, sha1 string) string {
	if sha256 != "" || sha1 == "" {
		return sha256
	}
	return "sha1:" + sha1
}

func (d *Detector) cert(r *rec.Rec, emit alert.Emit) {
	fp := certKey(r.Str("fingerprint"), r.Str("fingerprint_sha1"))
	if fp == "" {
		return
	}
	if host, ok := r.Bool("host_cert"); ok && !host {
		return
	}
	if ca, ok := r.Bool("basic_constraints.ca"); ok && ca {
		if _, hasHost := r.Bool("host_cert"); !hasHost {
			return // a CA certificate of a chain, not the server's own
		}
	}
	ts := r.TS()
	v := &verdict{subject: r.Str("certificate.subject")}
	v.selfSigned = v.subject != "" && v.subject == r.Str("certificate.issuer")
	if d.cfg.SelfSigned && v.selfSigned {
		v.problems = append(v.problems, "self-signed")
	}
	v.notAfter, _ = r.Num("certificate.not_valid_after")
	nb, _ := r.Num("certificate.not_valid_before")
	if d.cfg.Expired && v.notAfter > 0 && v.notAfter < ts {
		v.problems = append(v.problems, "expired")
	}
	if d.cfg.Expired && nb > ts+86400 {
		v.problems = append(v.problems, "not yet valid")
	}
	v.problems = d.weak(r, v, nb)
	d.remember(fp, v)
	for _, p := range d.waiting[fp] {
		d.report(p, v, emit)
	}
	delete(d.waiting, fp)
}

// CA/Browser Forum dates after which a CA may not issue a certificate
// with an RSA key under 2048 bits (expiring after 2013) or signed with
// SHA-1 (Baseline Requirements 7.1.3, from 2016).
const (
	rsa2048Since = 1388534400 // 2014-01-01
	noSHA1Since  = 1451606400 // 2016-01-01
)

// weak adds to v's problems a short RSA key and a weak signature of the
// certificate r, issued at nb (not_valid_before). A certificate from a CA
// is judged by the rules in force when it was issued: one issued before
// them was ordinary then and has expired since (the expired check reports
// it when it is still served). A self-signed certificate's key is judged
// whatever its date; its own signature vouches for nothing and is not
// judged. MD5 signatures (forged by 2008) always count.
func (d *Detector) weak(r *rec.Rec, v *verdict, nb float64) []string {
	p := v.problems
	bits := r.Uint("certificate.key_length")
	if d.cfg.WeakKey && r.Str("certificate.key_type") == "rsa" && bits > 0 && bits < uint64(d.cfg.MinRSABits) &&
		(v.selfSigned || nb >= rsa2048Since) {
		p = append(p, fmt.Sprintf("%d-bit RSA", bits))
	}
	if !d.cfg.WeakSignature || v.selfSigned {
		return p
	}
	if h := weakHash(r.Str("certificate.sig_alg")); h != "" && (h != "SHA-1" || nb >= noSHA1Since) {
		p = append(p, h+"-signed")
	}
	return p
}

// weakHash names the broken hash of a signature algorithm (x509.log
// sig_alg: sha1WithRSAEncryption, ecdsa-with-SHA1, md5WithRSAEncryption …),
// "" when it uses none.
func weakHash(alg string) string {
	a := strings.ToLower(alg)
	for _, h := range []struct{ sub, name string }{{"sha1", "SHA-1"}, {"md5", "MD5"}, {"md2", "MD2"}, {"md4", "MD4"}} {
		if strings.Contains(a, h.sub) {
			return h.name
		}
	}
	return ""
}

func (d *Detector) remember(fp string, v *verdict) {
	if _, ok := d.certs[fp]; !ok {
		d.order = append(d.order, fp)
	}
	d.certs[fp] = v
	for len(d.order) > d.cfg.MaxCerts {
		delete(d.certs, d.order[0])
		d.order = d.order[1:]
	}
}

// ssl links a connection to its server certificate. Most ssl records
// carry no certificate chain (TLS 1.3 hides it) and match no blocklist:
// they are left after two field lookups, the connection's fields (pending)
// decoded only for a record that is reported or kept waiting.
func (d *Detector) ssl(r *rec.Rec, emit alert.Emit) {
	if len(d.ja3) > 0 || len(d.ja4) > 0 {
		d.fingerprints(r, emit)
	}
	if m, ok := r.Bool("sni_matches_cert"); ok && !m && d.cfg.SNIMismatch {
		d.sniMismatch(r, emit)
	}
	var fp string
	if fps := r.Strings("cert_chain_fps"); len(fps) > 0 {
		fp = fps[0]
	} else if fps := r.Strings("cert_chain_fps_sha1"); len(fps) > 0 {
		fp = certKey("", fps[0])
	} else {
		return
	}
	if v, ok := d.certs[fp]; ok {
		if len(v.problems) > 0 {
			d.report(d.pendingOf(r, fp), v, emit)
		}
		return
	}
	if len(d.waitList) >= d.cfg.MaxCerts {
		delete(d.waiting, d.waitList[0])
		d.waitList = d.waitList[1:]
	}
	if len(d.waiting[fp]) < 16 {
		d.waiting[fp] = append(d.waiting[fp], d.pendingOf(r, fp))
		d.waitList = append(d.waitList, fp)
	}
}

// pendingOf decodes what an alert about the ssl record r needs; fp is its
// server certificate's fingerprint ("" when not known).
func (d *Detector) pendingOf(r *rec.Rec, fp string) pending {
	// The few connection fields wanted are read alone: r.Conn() would
	// decode every field of the record.
	orig, resp := r.Addr("id.orig_h"), r.Addr("id.resp_h")
	return pending{ts: r.TS(), uid: string(r.Bytes("uid")), sni: r.Str("server_name"), orig: orig.String(), resp: resp.String(),
		origP: uint16(r.Uint("id.orig_p")), respP: uint16(r.Uint("id.resp_p")), proto: transport(r.Str("version")),
		respInternal: d.internal.Contains(resp), fp: fp}
}

// transport is the transport of a connection whose ssl.log version is v:
// DTLS runs over UDP.
func transport(v string) string {
	if strings.HasPrefix(v, "DTLS") {
		return "udp"
	}
	return "tcp"
}

// fingerprints reports a client whose JA3 or JA4 fingerprint is on a
// blocklist.
func (d *Detector) fingerprints(r *rec.Rec, emit alert.Emit) {
	for _, f := range []struct{ kind, value string }{{"ja3", r.Str("ja3")}, {"ja4", r.Str("ja4")}} {
		list := d.ja3
		if f.kind == "ja4" {
			list = d.ja4
		}
		if f.value == "" || !list[strings.ToLower(f.value)] {
			continue
		}
		p := d.pendingOf(r, "")
		act := fmt.Sprintf("connected to %s with blocklisted %s %s", target(p), strings.ToUpper(f.kind), f.value)
		emit(alert.Alert{
			TS: p.ts, UID: p.uid, Src: p.orig, Dst: p.resp, SrcP: p.origP, DstP: p.respP, Proto: p.proto,
			Class: "tls.anomaly", Severity: alert.High, Confidence: 0.8, Act: act,
			Summary:  fmt.Sprintf("%s %s at %s.", p.orig, act, alert.Clock(p.ts)),
			Evidence: map[string]any{"problem": "blocklisted " + f.kind, f.kind: f.value, "server_name": p.sni},
			Detector: "tls",
		})
	}
}

// sniMismatch reports a connection to an external server whose
// certificate does not cover the name the client asked for: a
// man-in-the-middle, a domain fronted or a server answering for a name
// it does not own. Internal servers are left out (their certificates
// often name the host, not the alias used).
func (d *Detector) sniMismatch(r *rec.Rec, emit alert.Emit) {
	var fp string
	if fps := r.Strings("cert_chain_fps"); len(fps) > 0 {
		fp = fps[0]
	}
	p := d.pendingOf(r, fp)
	if p.respInternal || p.sni == "" {
		return
	}
	act := fmt.Sprintf("asked %s:%d for %s and was served a certificate for other names", p.resp, p.respP, p.sni)
	ev := map[string]any{"problem": "sni not in certificate", "server_name": p.sni, "fingerprint": fp}
	if v, ok := d.certs[fp]; ok {
		act += " (" + v.subject + ")"
		ev["subject"] = v.subject
	}
	emit(alert.Alert{
		TS: p.ts, UID: p.uid, Src: p.orig, Dst: p.resp, SrcP: p.origP, DstP: p.respP, Proto: p.proto,
		Class: "tls.anomaly", Confidence: 0.5, Act: act,
		Summary:  fmt.Sprintf("%s %s at %s.", p.orig, act, alert.Clock(p.ts)),
		Evidence: ev, Detector: "tls",
	})
}

func (d *Detector) report(p pending, v *verdict, emit alert.Emit) {
	if len(v.problems) == 0 || p.respInternal && !d.cfg.SelfSignedInternal && v.selfSigned {
		return
	}
	what := strings.Join(v.problems, " and ")
	article := "a"
	if strings.HasPrefix(what, "expired") || strings.HasPrefix(what, "MD") {
		article = "an"
	}
	act := fmt.Sprintf("was served %s %s certificate (%s) by %s", article, what, v.subject, target(p))
	emit(alert.Alert{
		TS: p.ts, UID: p.uid, Src: p.orig, Dst: p.resp, SrcP: p.origP, DstP: p.respP, Proto: p.proto,
		Class: "tls.anomaly", Confidence: 0.7, Act: act,
		Summary: fmt.Sprintf("%s %s at %s.", p.orig, act, alert.Clock(p.ts)),
		Evidence: map[string]any{"problem": what, "subject": v.subject, "not_valid_after": v.notAfter,
			"fingerprint": p.fp, "server_name": p.sni},
		Detector: "tls",
	})
}

func target(p pending) string {
	if p.sni != "" {
		return fmt.Sprintf("%s (%s:%d)", p.sni, p.resp, p.respP)
	}
	return fmt.Sprintf("%s:%d", p.resp, p.respP)
}

// Flush implements detect.Detector (state is bounded by count, not time).
func (d *Detector) Flush(float64, alert.Emit) {}
