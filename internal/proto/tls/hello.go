package tls

import (
	"errors"

	"github.com/vigil-nsm/vigil/internal/proto/wire"
)

// Extension type numbers used by the parser.
const (
	extServerName          = 0
	extSupportedGroups     = 10
	extECPointFormats      = 11
	extSignatureAlgorithms = 13
	extALPN                = 16
	extSessionTicket       = 35
	extPreSharedKey        = 41
	extSupportedVersions   = 43
	extKeyShare            = 51
	extKeyShareOld         = 40
)

// Limits on what one hello may carry; values beyond them are dropped
// (the counts used by JA4 stay exact).
const (
	maxListLen = 512 // cipher suites, extensions, groups … kept per list
	maxALPN    = 16  // ALPN protocol names kept
)

// ErrMalformed reports a hello whose lengths do not add up.
var ErrMalformed = errors.New("tls: malformed hello")

// ClientHello is a parsed TLS ClientHello. Byte slices and strings are
// copies: nothing refers to the input. Lists keep GREASE values in wire
// order; the fingerprint functions drop them.
type ClientHello struct {
	Version            uint16 // legacy_version (client_version)
	Random             [32]byte
	SessionID          []byte
	CipherSuites       []uint16
	CompressionMethods []byte
	Extensions         []uint16 // extension types, wire order
	// ServerNames are the host_name entries of server_name (SNI).
	ServerNames         []string
	SupportedGroups     []uint16
	ECPointFormats      []byte
	ALPN                []string
	SupportedVersions   []uint16
	SignatureAlgorithms []uint16
	KeyShareGroups      []uint16
	// SessionTicketLen is the length of the session_ticket extension's
	// data (-1 when the extension is absent).
	SessionTicketLen int
	HasPSK           bool // pre_shared_key offered
	// SSLv2 is set for an SSLv2-compatible (record-less) ClientHello; its
	// cipher specs are 24-bit values, kept here only when they fit 16 bits
	// (those are the TLS suites a v2 hello offers).
	SSLv2 bool
}

// ServerName returns the first SNI host name ("" when none).
func (ch *ClientHello) ServerName() string {
	if len(ch.ServerNames) > 0 {
		return ch.ServerNames[0]
	}
	return ""
}

// ServerHello is a parsed TLS ServerHello (or HelloRetryRequest).
type ServerHello struct {
	Version           uint16 // legacy_version (server_version)
	Random            [32]byte
	SessionID         []byte
	CipherSuite       uint16
	CompressionMethod uint8
	Extensions        []uint16
	// SelectedVersion is the supported_versions extension's value (0 when
	// absent).
	SelectedVersion uint16
	// KeyShareGroup is the group of the key_share extension (0 when absent).
	KeyShareGroup uint16
	HasKeyShare   bool
	ALPN          []string
	HasPSK        bool
	// Draft13 is set when the hello used the TLS 1.3 draft layout (no
	// session id or compression).
	Draft13 bool
}

// NegotiatedVersion returns the version the server chose: the
// supported_versions value when present, else the legacy version.
func (sh *ServerHello) NegotiatedVersion() uint16 {
	if sh.SelectedVersion != 0 {
		return sh.SelectedVersion
	}
	return sh.Version
}

// helloRetryRandom is the ServerHello.random that marks a HelloRetryRequest.
var helloRetryRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// IsHelloRetryRequest reports whether sh is a TLS 1.3 HelloRetryRequest.
func (sh *ServerHello) IsHelloRetryRequest() bool { return sh.Random == helloRetryRandom }

// alpnList appends the protocol names of an ALPN extension's list to
// names (up to maxALPN).
func alpnList(b []byte, names []string) []string {
	list := wire.Reader{B: b}
	for len(list.B) > 0 && !list.Bad {
		p := list.Vec8()
		if list.Bad {
			break
		}
		if len(names) < maxALPN {
			names = append(names, alpnName(p))
		}
	}
	return names
}

// alpnName returns p as a string, without a copy for the common protocol
// names.
func alpnName(p []byte) string {
	switch string(p) {
	case "h2":
		return "h2"
	case "http/1.1":
		return "http/1.1"
	case "h3":
		return "h3"
	}
	return string(p)
}

// u16list reads the big-endian uint16 values of b (up to limit) into
// dst's array, which it replaces when too small; nil dst and no values
// give nil.
func u16list(dst []uint16, b []byte, limit int) []uint16 {
	n := len(b) / 2
	if n > limit {
		n = limit
	}
	if n == 0 {
		return dst[:0]
	}
	if cap(dst) < n {
		dst = make([]uint16, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return dst
}

// ParseClientHello parses the body of a ClientHello handshake message (the
// bytes after the 4-byte handshake header), as carried in a TLS record or a
// QUIC CRYPTO frame. Extensions that do not parse are kept by type only.
func ParseClientHello(b []byte) (*ClientHello, error) {
	ch := new(ClientHello)
	if err := ch.parse(b); err != nil {
		return nil, err
	}
	return ch, nil
}

// parse is ParseClientHello into ch, whose lists' arrays it reuses: the
// analyzer parses each hello into the one it owns. Everything ch held
// before is replaced.
func (ch *ClientHello) parse(b []byte) error {
	*ch = ClientHello{
		SessionTicketLen:    -1,
		SessionID:           ch.SessionID[:0],
		CipherSuites:        ch.CipherSuites[:0],
		CompressionMethods:  ch.CompressionMethods[:0],
		Extensions:          ch.Extensions[:0],
		ServerNames:         ch.ServerNames[:0],
		SupportedGroups:     ch.SupportedGroups[:0],
		ECPointFormats:      ch.ECPointFormats[:0],
		ALPN:                ch.ALPN[:0],
		SupportedVersions:   ch.SupportedVersions[:0],
		SignatureAlgorithms: ch.SignatureAlgorithms[:0],
		KeyShareGroups:      ch.KeyShareGroups[:0],
	}
	r := wire.Reader{B: b}
	ch.Version = r.U16()
	copy(ch.Random[:], r.Bytes(32))
	ch.SessionID = append(ch.SessionID, r.Vec8()...)
	if ch.Version>>8 == 0xfe {
		r.Vec8() // DTLS: the cookie (RFC 6347 4.2.1)
	}
	cs := r.Vec16()
	cm := r.Vec8()
	if r.Bad || len(cs)%2 != 0 {
		return ErrMalformed
	}
	ch.CipherSuites = u16list(ch.CipherSuites, cs, maxListLen)
	ch.CompressionMethods = append(ch.CompressionMethods, cm...)
	// No extensions is an SSLv3-style hello.
	if !extensions(&r, &ch.Extensions, ch.clientExtension) {
		return ErrMalformed
	}
	return nil
}

// forgetNames drops the host and protocol names a parsed hello holds (its
// lists keep their arrays): a kept analyzer's hello pins no strings of the
// connection that ended.
func (ch *ClientHello) forgetNames() {
	clear(ch.ServerNames)
	clear(ch.ALPN)
	ch.ServerNames, ch.ALPN = ch.ServerNames[:0], ch.ALPN[:0]
}

// extensions reads the extension block that ends a hello, if any: each
// extension's type is listed in types (up to maxListLen) and handed to
// each with its data. False when the block is malformed.
func extensions(r *wire.Reader, types *[]uint16, each func(typ uint16, data []byte)) bool {
	if len(r.B) < 2 {
		return true
	}
	exts := r.Vec16()
	if r.Bad {
		return false
	}
	er := wire.Reader{B: exts}
	if room := min(len(exts)/4, maxListLen); cap(*types) < room {
		// Room for every extension the block can hold (4 bytes each at
		// least), so that the list is not grown step by step.
		*types = make([]uint16, 0, room)
	}
	for len(er.B) >= 4 {
		typ := er.U16()
		data := er.Vec16()
		if er.Bad {
			return false
		}
		if len(*types) < maxListLen {
			*types = append(*types, typ)
		}
		each(typ, data)
	}
	return len(er.B) == 0
}

func (ch *ClientHello) clientExtension(typ uint16, data []byte) {
	d := wire.Reader{B: data}
	switch typ {
	case extServerName:
		list := wire.Reader{B: d.Vec16()}
		for len(list.B) > 0 && !list.Bad {
			nt := list.U8()
			name := list.Vec16()
			if list.Bad {
				break
			}
			if nt == 0 && len(ch.ServerNames) < 8 {
				ch.ServerNames = append(ch.ServerNames, string(name))
			}
		}
	case extSupportedGroups:
		ch.SupportedGroups = u16list(ch.SupportedGroups, d.Vec16(), maxListLen)
	case extECPointFormats:
		if f := d.Vec8(); !d.Bad {
			ch.ECPointFormats = append(ch.ECPointFormats[:0], f...)
		}
	case extSignatureAlgorithms:
		ch.SignatureAlgorithms = u16list(ch.SignatureAlgorithms, d.Vec16(), maxListLen)
	case extALPN:
		ch.ALPN = alpnList(d.Vec16(), ch.ALPN)
	case extSupportedVersions:
		ch.SupportedVersions = u16list(ch.SupportedVersions, d.Vec8(), maxListLen)
	case extKeyShare, extKeyShareOld:
		list := wire.Reader{B: d.Vec16()}
		for len(list.B) > 0 && !list.Bad {
			g := list.U16()
			list.Vec16()
			if list.Bad {
				break
			}
			if len(ch.KeyShareGroups) < maxListLen {
				ch.KeyShareGroups = append(ch.KeyShareGroups, g)
			}
		}
	case extSessionTicket:
		ch.SessionTicketLen = len(data)
	case extPreSharedKey:
		ch.HasPSK = true
	}
}

// parseV2ClientHello parses an SSLv2 CLIENT-HELLO message body (after the
// message type byte): version, cipher-specs length, session-id length,
// challenge length, then the three fields.
func parseV2ClientHello(b []byte) (*ClientHello, error) {
	r := wire.Reader{B: b}
	ch := &ClientHello{SessionTicketLen: -1, SSLv2: true}
	ch.Version = r.U16()
	csLen := int(r.U16())
	sidLen := int(r.U16())
	chalLen := int(r.U16())
	cs := r.Bytes(csLen)
	sid := r.Bytes(sidLen)
	chal := r.Bytes(chalLen)
	if r.Bad || csLen%3 != 0 || chalLen > 32 {
		return nil, ErrMalformed
	}
	for i := 0; i+3 <= len(cs) && len(ch.CipherSuites) < maxListLen; i += 3 {
		if cs[i] == 0 {
			ch.CipherSuites = append(ch.CipherSuites, uint16(cs[i+1])<<8|uint16(cs[i+2]))
		}
	}
	if len(sid) > 0 {
		ch.SessionID = append([]byte(nil), sid...)
	}
	copy(ch.Random[32-len(chal):], chal)
	return ch, nil
}

// ParseServerHello parses the body of a ServerHello handshake message. It
// understands the TLS 1.3 draft layout (drafts before 22: no session id or
// compression method) when the legacy version says 0x7fNN.
func ParseServerHello(b []byte) (*ServerHello, error) {
	sh := new(ServerHello)
	if err := sh.parse(b); err != nil {
		return nil, err
	}
	return sh, nil
}

// parse is ParseServerHello into sh, whose lists' arrays it reuses.
// Everything sh held before is replaced.
func (sh *ServerHello) parse(b []byte) error {
	*sh = ServerHello{SessionID: sh.SessionID[:0], Extensions: sh.Extensions[:0], ALPN: sh.ALPN[:0]}
	r := wire.Reader{B: b}
	sh.Version = r.U16()
	copy(sh.Random[:], r.Bytes(32))
	if sh.Version>>8 == 0x7f {
		sh.Draft13 = true
		sh.CipherSuite = r.U16()
	} else {
		sh.SessionID = append(sh.SessionID, r.Vec8()...)
		sh.CipherSuite = r.U16()
		sh.CompressionMethod = r.U8()
	}
	if r.Bad {
		return ErrMalformed
	}
	if !extensions(&r, &sh.Extensions, sh.serverExtension) {
		return ErrMalformed
	}
	return nil
}

// forgetNames drops the protocol names a parsed hello holds (see
// ClientHello.forgetNames).
func (sh *ServerHello) forgetNames() {
	clear(sh.ALPN)
	sh.ALPN = sh.ALPN[:0]
}

func (sh *ServerHello) serverExtension(typ uint16, data []byte) {
	d := wire.Reader{B: data}
	switch typ {
	case extSupportedVersions:
		if v := d.U16(); !d.Bad {
			sh.SelectedVersion = v
		}
	case extKeyShare, extKeyShareOld:
		if g := d.U16(); !d.Bad {
			sh.KeyShareGroup, sh.HasKeyShare = g, true
		}
	case extALPN:
		sh.ALPN = alpnList(d.Vec16(), sh.ALPN)
	case extPreSharedKey:
		sh.HasPSK = true
	}
}
