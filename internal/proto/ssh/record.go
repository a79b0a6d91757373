package ssh

import (
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
		lo, lr := ci.Shared.IsLocal(ci.OrigH), ci.Shared.IsLocal(ci.RespH)
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
