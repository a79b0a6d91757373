package assets

import (
	"net/netip"
	"strings"
)

// TLS server certificates (x509.log) give servers their names, and their
// subject and issuer (a vendor's default certificate) are observed. A
// certificate may be logged before or after the ssl record that ties it
// to a server; the inventory waits for whichever comes second.

type certInfo struct {
	subject, issuer string
	sans            []string
	notAfter        float64
}

type pendingCert struct {
	server netip.Addr
	o      obs
}

const maxPendingCerts = 1 << 12

type x509Rec struct {
	ts       float64
	fp       string
	cert     certInfo
	hostCert bool
	hasHost  bool
}

func (inv *Inventory) decodeX509(line []byte, r *x509Rec) error {
	*r = x509Rec{}
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	for _, fl := range f.Fields() {
		k, v := f.Key(fl), value{f.Value(fl)}
		switch string(k) {
		case "ts":
			r.ts = v.float()
		case "fingerprint":
			r.fp = v.str()
		case "certificate.subject":
			r.cert.subject = v.str()
		case "certificate.issuer":
			r.cert.issuer = v.str()
		case "certificate.not_valid_after":
			r.cert.notAfter = v.float()
		case "san.dns":
			r.cert.sans = v.strs(16)
		case "host_cert":
			r.hostCert, r.hasHost = v.bool(), true
		}
	}
	return nil
}

func (inv *Inventory) onX509(line []byte) error {
	var r x509Rec
	if err := inv.decodeX509(line, &r); err != nil {
		return err
	}
	if r.fp == "" || (r.hasHost && !r.hostCert) {
		return nil
	}
	if _, ok := inv.certs[r.fp]; !ok && len(inv.certs) >= maxCerts {
		clear(inv.certs)
	}
	ci := r.cert
	inv.certs[r.fp] = &ci
	for _, p := range inv.pending[r.fp] {
		if e := inv.ips[p.server]; e != nil {
			inv.applyCert(e, &ci, p.o)
		}
	}
	delete(inv.pending, r.fp)
	return nil
}

// certSeen ties a server to the leaf certificate fp it showed.
func (inv *Inventory) certSeen(server *ipEntity, fp string, o obs) {
	if ci := inv.certs[fp]; ci != nil {
		inv.applyCert(server, ci, o)
		return
	}
	if len(inv.pending) >= maxPendingCerts {
		clear(inv.pending)
	}
	if len(inv.pending[fp]) < 8 {
		inv.pending[fp] = append(inv.pending[fp], pendingCert{server.addr, o})
	}
}

// applyCert names the server after its certificate and observes the
// subject and issuer.
func (inv *Inventory) applyCert(server *ipEntity, ci *certInfo, o obs) {
	t := target{addr: server.addr}
	o.with("certificate.subject", ci.subject).with("certificate.issuer", ci.issuer)
	for _, n := range certNames(ci) {
		inv.addName(&server.entity, t, n, "tls-cert", o)
	}
	inv.observeOn(server, &o, "ssl.cert_subject", ci.subject, "certificate.subject")
	inv.observeOn(server, &o, "ssl.cert_issuer", ci.issuer, "certificate.issuer")
	if ci.subject != "" && ci.subject == ci.issuer {
		inv.observeOn(server, &o, "ssl.cert_self_signed", "true", "certificate.issuer")
	}
}

// certNames returns the host names a certificate names: its SANs, else
// its CN (wildcards and non-names left out).
func certNames(ci *certInfo) []string {
	var out []string
	for _, s := range ci.sans {
		if !strings.HasPrefix(s, "*") && plainHostName(s) && len(out) < 4 {
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		return out
	}
	if cn := subjectField(ci.subject, "CN"); cn != "" && !strings.HasPrefix(cn, "*") && plainHostName(cn) {
		out = append(out, cn)
	}
	return out
}

// subjectField returns one attribute of a Zeek-style distinguished name
// ("C=US,O=Apple Inc.,CN=*.icloud.com").
func subjectField(dn, attr string) string {
	for _, part := range splitDN(dn) {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.TrimSpace(k), attr) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// splitDN splits at commas not escaped with a backslash.
func splitDN(dn string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			parts = append(parts, dn[start:i])
			start = i + 1
		}
	}
	return append(parts, dn[start:])
}
