package tls

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
)

// JA3 returns the JA3 string of ch (Salesforce's definition: version,
// ciphers, extensions, supported groups, EC point formats; decimal values
// joined by '-', GREASE values removed) and its MD5 as lower-case hex.
func JA3(ch *ClientHello) (str, hash string) {
	var buf [256]byte
	b := appendJA3(buf[:0], ch)
	return string(b), md5Hex(b)
}

// ja3Hash returns JA3's hash alone (the analyzer logs no string).
func ja3Hash(ch *ClientHello) string {
	var buf [256]byte
	return md5Hex(appendJA3(buf[:0], ch))
}

// md5Hex returns the MD5 of b as lower-case hex.
func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// appendJA3 appends the JA3 string of ch to b.
func appendJA3(b []byte, ch *ClientHello) []byte {
	b = strconv.AppendUint(b, uint64(ch.Version), 10)
	b = append(b, ',')
	b = appendDecList(b, ch.CipherSuites)
	b = append(b, ',')
	b = appendDecList(b, ch.Extensions)
	b = append(b, ',')
	b = appendDecList(b, ch.SupportedGroups)
	b = append(b, ',')
	for i, f := range ch.ECPointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(f), 10)
	}
	return b
}

// JA3S returns the JA3S string of sh (version, cipher, extensions) and its
// MD5 as lower-case hex.
func JA3S(sh *ServerHello) (str, hash string) {
	var buf [64]byte
	b := appendJA3S(buf[:0], sh)
	return string(b), md5Hex(b)
}

// ja3sHash returns JA3S's hash alone.
func ja3sHash(sh *ServerHello) string {
	var buf [64]byte
	return md5Hex(appendJA3S(buf[:0], sh))
}

// appendJA3S appends the JA3S string of sh to b.
func appendJA3S(b []byte, sh *ServerHello) []byte {
	b = strconv.AppendUint(b, uint64(sh.Version), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(sh.CipherSuite), 10)
	b = append(b, ',')
	return appendDecList(b, sh.Extensions)
}

func appendDecList(b []byte, l []uint16) []byte {
	first := true
	for _, v := range l {
		if IsGREASE(v) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

// Transport letters for JA4.
const (
	JA4TCP  = 't'
	JA4QUIC = 'q'
	JA4DTLS = 'd'
)

// JA4 returns the JA4 client fingerprint of ch (FoxIO's specification, the
// BSD-licensed client method only): transport ('t', 'q' or 'd'), version,
// SNI flag, cipher and extension counts, ALPN first/last characters, then
// the truncated SHA-256 of the sorted cipher list and of the sorted
// extension list (without SNI and ALPN) plus signature algorithms.
func JA4(ch *ClientHello, transport byte) string {
	var buf [512]byte
	raw, aEnd, bEnd := ja4Raw(buf[:], ch, transport)
	var out [36]byte
	o := append(out[:0], raw[:aEnd]...)
	o = append(o, '_')
	o = appendHash12(o, raw[aEnd+1:bEnd])
	o = append(o, '_')
	o = appendHash12(o, raw[bEnd+1:])
	return string(o)
}

// JA4Raw returns the unhashed JA4 ("JA4_r"): the same first part, then the
// sorted cipher and extension/signature-algorithm lists in hex.
func JA4Raw(ch *ClientHello, transport byte) string {
	var buf [512]byte
	raw, _, _ := ja4Raw(buf[:], ch, transport)
	return string(raw)
}

func appendHash12(out, in []byte) []byte {
	if len(in) == 0 {
		return append(out, "000000000000"...)
	}
	sum := sha256.Sum256(in)
	return hex.AppendEncode(out, sum[:6]) // the first 12 hex digits
}

func ja4Version(ch *ClientHello) string {
	v := ch.Version
	if len(ch.SupportedVersions) > 0 {
		v = 0
		for _, s := range ch.SupportedVersions {
			if !IsGREASE(s) && s > v {
				v = s
			}
		}
	}
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// ja4ListCap is the room kept on the stack for a hello's cipher and
// extension lists (longer lists go to the heap).
const ja4ListCap = 64

// ja4Raw writes JA4_r over scratch: the first part (transport, version,
// SNI flag, counts, ALPN characters), '_', the sorted ciphers in hex, '_',
// the sorted extensions in hex and the signature algorithms. aEnd and bEnd
// are the offsets in raw of the two separators, so that JA4 can hash the
// second and third parts (the third has a '_' of its own).
func ja4Raw(scratch []byte, ch *ClientHello, transport byte) (raw []byte, aEnd, bEnd int) {
	a := append(scratch[:0], transport)
	a = append(a, ja4Version(ch)...)
	sni := byte('i')
	for _, e := range ch.Extensions {
		if e == extServerName {
			sni = 'd'
			break
		}
	}
	a = append(a, sni)

	var cbuf, ebuf [ja4ListCap]uint16
	ciphers := cbuf[:0]
	for _, v := range ch.CipherSuites {
		if !IsGREASE(v) {
			ciphers = append(ciphers, v)
		}
	}
	nExt := 0
	exts := ebuf[:0]
	for _, v := range ch.Extensions {
		if IsGREASE(v) {
			continue
		}
		nExt++
		if v != extServerName && v != extALPN {
			exts = append(exts, v)
		}
	}
	a = appendCount(a, len(ciphers))
	a = appendCount(a, nExt)
	alpn := ja4ALPN(ch)
	a = append(a, alpn[0], alpn[1])

	aEnd = len(a)
	b := append(a, '_')
	slices.Sort(ciphers)
	b = appendHexList(b, ciphers)
	bEnd = len(b)
	c := append(b, '_')
	slices.Sort(exts)
	c = appendHexList(c, exts)
	sigs := 0
	for _, v := range ch.SignatureAlgorithms {
		if IsGREASE(v) {
			continue
		}
		if sigs == 0 {
			c = append(c, '_')
		} else {
			c = append(c, ',')
		}
		sigs++
		c = appendHex4(c, v)
	}
	return c, aEnd, bEnd
}

// ja4ALPN returns the first and last characters of ch's first ALPN
// protocol as JA4 writes them ("00" when there is none).
//
// FoxIO's JA4.md: when the first or last byte is not alphanumeric
// (0-9, A-Z, a-z), the first and last characters of the protocol's hex
// form are written instead (0x30 0xAB gives "3b"), so that no separator,
// control or punctuation byte enters the fingerprint. One exception:
// FoxIO's reference implementations (and their test vectors, which the
// conformance suite compares against: tls-non-ascii-alpn.pcapng gives
// "99" for 0xba … 0xad where the spec's rule gives "bd") replace a
// non-ASCII byte by '9'. Vigil follows the vectors for non-ASCII bytes
// and the spec for ASCII ones.
func ja4ALPN(ch *ClientHello) [2]byte {
	if len(ch.ALPN) == 0 || len(ch.ALPN[0]) == 0 {
		return [2]byte{'0', '0'}
	}
	p := ch.ALPN[0]
	f, l := p[0], p[len(p)-1]
	if asciiPunct(f) || asciiPunct(l) {
		const hx = "0123456789abcdef"
		return [2]byte{hx[f>>4], hx[l&15]}
	}
	if f >= 0x80 {
		f = '9'
	}
	if l >= 0x80 {
		l = '9'
	}
	return [2]byte{f, l}
}

// asciiPunct reports whether c is an ASCII byte that is not alphanumeric
// (control characters and punctuation).
func asciiPunct(c byte) bool {
	return c < 0x80 && !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z')
}

func appendCount(b []byte, n int) []byte {
	if n > 99 {
		n = 99
	}
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

func appendHex4(b []byte, v uint16) []byte {
	const hx = "0123456789abcdef"
	return append(b, hx[v>>12], hx[v>>8&15], hx[v>>4&15], hx[v&15])
}

func appendHexList(b []byte, l []uint16) []byte {
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex4(b, v)
	}
	return b
}

// maxMemoKey bounds the fingerprint key a memo keeps: a hello whose lists
// could need more is fingerprinted afresh (a usual hello needs 100 to 250
// bytes).
const maxMemoKey = 512

// jaMemo remembers the JA3 hash and JA4 of the last client hello
// fingerprinted through it, with that hello's fingerprint key: the same
// client software connecting again sends a hello with the same key, whose
// fingerprints then cost no sorting, formatting or hashing. An analyzer
// keeps its memo across Reuse, so that it serves the connections the
// analyzer serves one after another. One hello only: every analyzer, of a
// live connection or a spare one, holds a memo.
type jaMemo struct {
	key      []byte // the remembered hello's fingerprintKey; nil: none
	ja3, ja4 string
}

// fingerprints returns ch's JA3 hash and its JA4 for transport, from the
// memo when ch's fingerprint key is the remembered one, else computed and
// remembered.
func (m *jaMemo) fingerprints(ch *ClientHello, transport byte) (ja3, ja4 string) {
	var buf [maxMemoKey]byte
	key, ok := fingerprintKey(buf[:], ch, transport)
	if ok && m.key != nil && string(key) == string(m.key) {
		return m.ja3, m.ja4
	}
	ja3, ja4 = ja3Hash(ch), JA4(ch, transport)
	if ok {
		m.key = append(m.key[:0], key...)
		m.ja3, m.ja4 = ja3, ja4
	}
	return ja3, ja4
}

// fingerprintKey writes over scratch (maxMemoKey bytes) exactly what JA3
// and JA4 read of ch, GREASE values dropped as they drop them: transport,
// legacy version, JA4's version and ALPN characters, the cipher,
// extension, group and signature algorithm lists, each after its length,
// then the EC point formats. Two hellos with the same key have the same
// fingerprints. ok is false, and nothing written, when the lists could
// need more room than scratch has.
func fingerprintKey(scratch []byte, ch *ClientHello, transport byte) (key []byte, ok bool) {
	lists := len(ch.CipherSuites) + len(ch.Extensions) + len(ch.SupportedGroups) + len(ch.SignatureAlgorithms)
	if 7+4*2+2*lists+len(ch.ECPointFormats) > len(scratch) {
		return nil, false
	}
	k := append(scratch[:0], transport, byte(ch.Version>>8), byte(ch.Version))
	k = append(k, ja4Version(ch)...)
	alpn := ja4ALPN(ch)
	k = append(k, alpn[0], alpn[1])
	k = appendKeyList(k, ch.CipherSuites)
	k = appendKeyList(k, ch.Extensions)
	k = appendKeyList(k, ch.SupportedGroups)
	k = appendKeyList(k, ch.SignatureAlgorithms)
	// The point formats, last, need no length.
	return append(k, ch.ECPointFormats...), true
}

// appendKeyList appends the number of l's values that are not GREASE (two
// bytes) and those values, big-endian.
func appendKeyList(k []byte, l []uint16) []byte {
	at := len(k)
	k = append(k, 0, 0)
	for _, v := range l {
		if !IsGREASE(v) {
			k = append(k, byte(v>>8), byte(v))
		}
	}
	n := (len(k) - at - 2) / 2
	k[at], k[at+1] = byte(n>>8), byte(n)
	return k
}
