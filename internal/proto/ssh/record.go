package ssh

import (
	"net/netip"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// write encodes the session as one ssh.log JSON object (Zeek's field names
// and order, unset optional fields omitted; host_key, hassh and
// hasshServer are additions) and hands it to the sink.
func (a *Analyzer) write() {
	a.logged = true
	if a.out == nil {
		return
	}
	b := record.Line(a.buf)
	b = proto.AppendConnHeader(b, a.ts, a.ci)
	if v, ok := a.logVersion(); ok {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(v), 10)
	}
	if a.authSet {
		b = append(b, `,"auth_success":`...)
		b = strconv.AppendBool(b, a.authSuccess)
	}
	b = append(b, `,"auth_attempts":`...)
	b = strconv.AppendInt(b, int64(a.authAttempts), 10)
	if ci := a.ci; ci != nil {
		lo, lr := IsLocal(ci.OrigH), IsLocal(ci.RespH)
		if lo != lr {
			if lo {
				b = record.AppendStringField(b, "direction", "OUTBOUND")
			} else {
				b = record.AppendStringField(b, "direction", "INBOUND")
			}
		}
	}
	if s := &a.sides[0]; s.hasBan {
		b = record.AppendStringField(b, "client", s.banner)
	}
	if s := &a.sides[1]; s.hasBan {
		b = record.AppendStringField(b, "server", s.banner)
	}
	if a.algs {
		b = record.AppendStringField(b, "cipher_alg", a.cipher)
		b = record.AppendStringField(b, "mac_alg", a.mac)
		b = record.AppendStringField(b, "compression_alg", a.comp)
		b = record.AppendStringField(b, "kex_alg", a.kex)
		b = record.AppendStringField(b, "host_key_alg", a.hka)
	}
	if a.hostKeyMD5 != "" {
		b = record.AppendStringField(b, "host_key_fingerprint", a.hostKeySHA)
		b = record.AppendStringField(b, "host_key", a.hostKeyMD5)
	}
	if s := &a.sides[0]; s.hasKex {
		b = append(record.AppendKey(b, "hassh"), '"')
		b = append(appendHassh(b, &s.kex, false), '"')
	}
	if s := &a.sides[1]; s.hasKex {
		b = append(record.AppendKey(b, "hasshServer"), '"')
		b = append(appendHassh(b, &s.kex, true), '"')
	}
	b = append(b, '}')
	a.buf = b
	a.out.Record("ssh", b)
}

// privateNets is Zeek's Site::private_address_space, which Zeek counts as
// local (Site::private_address_space_is_local) when no local_nets are
// configured.
var privateNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:2::/48", "2001:db8::/32",
		"fc00::/7", "fe80::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// IsLocal reports whether a is in Zeek's private address space (its
// default notion of a local address, which sets ssh.log's direction).
func IsLocal(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range privateNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
