package tls

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Cert is the part of an X.509 certificate that x509.log shows. It is
// parsed with encoding/asn1 directly (not crypto/x509) so that certificates
// crypto/x509 rejects — negative serials, unknown curves, odd encodings —
// are still described as far as they go.
type Cert struct {
	Fingerprint  string // SHA-256 of the DER, lower-case hex
	SHA1         string // SHA-1 of the DER, lower-case hex (what abuse.ch SSLBL and Suricata give)
	Version      int
	Serial       string // upper-case hex of the serial's bytes
	Subject      string // RFC 2253 form as OpenSSL prints it
	Issuer       string
	NotBefore    time.Time
	NotAfter     time.Time
	KeyAlg       string
	SigAlg       string
	KeyType      string
	KeyLength    int
	Exponent     string
	Curve        string
	SANDNS       []string
	SANURI       []string
	SANEmail     []string
	SANIP        []netip.Addr
	HasBasicCons bool
	CA           bool
	PathLen      int // -1 when absent
	subjectCNs   []string
	parsedFields bool
}

type algID struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type spkiASN1 struct {
	Alg algID
	Key asn1.BitString
}

type extASN1 struct {
	ID       asn1.ObjectIdentifier
	Critical bool `asn1:"optional"`
	Value    []byte
}

type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

type atvSET []atv

// ParseCert describes a DER certificate. It returns what it could parse;
// ok is false when not even the TBS header is there (the fingerprint is
// always set).
func ParseCert(der []byte) (c *Cert, ok bool) {
	sum, sum1 := sha256.Sum256(der), sha1.Sum(der)
	return parseCertPrefix(der, hex.EncodeToString(sum[:]), hex.EncodeToString(sum1[:]))
}

// derHeader decodes one DER tag and length: the header length and the
// content length. ok is false when the header itself is incomplete or
// not DER (multi-byte tags and indefinite lengths are refused).
func derHeader(b []byte) (tag byte, hdr, n int, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return 0, 0, 0, false
	}
	tag = b[0]
	l := int(b[1])
	if l < 0x80 {
		return tag, 2, l, true
	}
	k := l & 0x7f
	if k == 0 || k > 4 || len(b) < 2+k {
		return 0, 0, 0, false
	}
	n = 0
	for _, c := range b[2 : 2+k] {
		n = n<<8 | int(c)
	}
	if n < 0 || n > 1<<28 {
		return 0, 0, 0, false
	}
	return tag, 2 + k, n, true
}

// parseCertPrefix describes a certificate from its DER, which may be cut
// short (a certificate larger than the buffering limit): the TBS fields
// present in full are described, the rest is left out. fp and fp1 are the
// whole certificate's SHA-256 and SHA-1.
func parseCertPrefix(der []byte, fp, fp1 string) (c *Cert, ok bool) {
	c = &Cert{Fingerprint: fp, SHA1: fp1, PathLen: -1}
	tag, hdr, n, ok := derHeader(der)
	if !ok || tag != 0x30 {
		return c, false
	}
	body := der[hdr:]
	outerFull := len(body) >= n
	if outerFull {
		body = body[:n]
	}
	tag, hdr, n, ok = derHeader(body)
	if !ok || tag != 0x30 {
		return c, false
	}
	tbs := body[hdr:]
	var after []byte
	if len(tbs) >= n {
		after = tbs[n:]
		tbs = tbs[:n]
	}
	// Walk the TBS element by element; stop at the first incomplete one.
	var elems [][]byte
	for len(tbs) > 0 && len(elems) < 16 {
		_, h, l, ok := derHeader(tbs)
		if !ok || h+l > len(tbs) {
			break
		}
		elems = append(elems, tbs[:h+l])
		tbs = tbs[h+l:]
	}
	i := 0
	next := func(want byte) []byte {
		if i < len(elems) && (want == 0 || elems[i][0] == want) {
			i++
			return elems[i-1]
		}
		return nil
	}
	c.Version = 1
	if v := next(0xa0); v != nil {
		var ver int
		if _, err := asn1.UnmarshalWithParams(v, &ver, "explicit,tag:0"); err == nil {
			c.Version = ver + 1
		}
	}
	serial := next(0x02)
	if serial == nil {
		return c, false
	}
	c.parsedFields = true
	var sv asn1.RawValue
	if _, err := asn1.Unmarshal(serial, &sv); err == nil {
		c.Serial = formatSerial(sv.Bytes)
	}
	var tbsSig algID
	if e := next(0x30); e != nil {
		asn1.Unmarshal(e, &tbsSig)
	}
	if e := next(0x30); e != nil {
		c.Issuer, _ = formatName(e)
	}
	if e := next(0x30); e != nil {
		var val struct{ NotBefore, NotAfter asn1.RawValue }
		if _, err := asn1.Unmarshal(e, &val); err == nil {
			c.NotBefore = parseTime(val.NotBefore)
			c.NotAfter = parseTime(val.NotAfter)
		}
	}
	if e := next(0x30); e != nil {
		c.Subject, c.subjectCNs = formatName(e)
	}
	if e := next(0x30); e != nil {
		var spki spkiASN1
		if _, err := asn1.Unmarshal(e, &spki); err == nil {
			c.describeKey(&spki)
		}
	}
	next(0x81)
	next(0xa1)
	next(0x82)
	next(0xa2)
	if e := next(0xa3); e != nil {
		var exts []extASN1
		if _, err := asn1.UnmarshalWithParams(e, &exts, "explicit,tag:3"); err == nil {
			for _, x := range exts {
				c.extension(x)
			}
		}
	}
	var sig algID
	if outerFull && after != nil {
		if _, err := asn1.Unmarshal(after, &sig); err == nil {
			c.SigAlg = oidName(sig.Algorithm, sigAlgNames)
		}
	}
	if c.SigAlg == "" && tbsSig.Algorithm != nil {
		c.SigAlg = oidName(tbsSig.Algorithm, sigAlgNames)
	}
	return c, true
}

func formatSerial(sb []byte) string {
	neg := len(sb) > 0 && sb[0]&0x80 != 0
	if neg {
		sb = new(big.Int).SetBytes(twosComplementMagnitude(sb)).Bytes()
	}
	for len(sb) > 1 && sb[0] == 0 {
		sb = sb[1:]
	}
	s := strings.ToUpper(hex.EncodeToString(sb))
	if s == "" {
		s = "00"
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (c *Cert) extension(e extASN1) {
	switch e.ID.String() {
	case "2.5.29.17":
		c.parseSAN(e.Value)
	case "2.5.29.19":
		var bc struct {
			CA      bool `asn1:"optional"`
			PathLen int  `asn1:"optional,default:-1"`
		}
		if _, err := asn1.Unmarshal(e.Value, &bc); err == nil {
			c.HasBasicCons, c.CA, c.PathLen = true, bc.CA, bc.PathLen
		}
	}
}

func twosComplementMagnitude(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = ^b[i]
	}
	// add one
	for i := len(out) - 1; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			break
		}
	}
	return out
}

func parseTime(rv asn1.RawValue) time.Time {
	var t time.Time
	s := string(rv.Bytes)
	var err error
	switch rv.Tag {
	case asn1.TagUTCTime:
		for _, layout := range []string{"060102150405Z0700", "0601021504Z0700"} {
			if t, err = time.Parse(layout, s); err == nil {
				if t.Year() >= 2050 {
					t = t.AddDate(-100, 0, 0)
				}
				return t
			}
		}
	case asn1.TagGeneralizedTime:
		for _, layout := range []string{"20060102150405Z0700", "20060102150405.999999999Z0700"} {
			if t, err = time.Parse(layout, s); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

var ecCurves = map[string]struct {
	name string
	bits int
}{
	"1.2.840.10045.3.1.7":   {"prime256v1", 256},
	"1.3.132.0.34":          {"secp384r1", 384},
	"1.3.132.0.35":          {"secp521r1", 521},
	"1.3.132.0.33":          {"secp224r1", 224},
	"1.2.840.10045.3.1.1":   {"prime192v1", 192},
	"1.3.132.0.10":          {"secp256k1", 256},
	"1.3.36.3.3.2.8.1.1.7":  {"brainpoolP256r1", 256},
	"1.3.36.3.3.2.8.1.1.11": {"brainpoolP384r1", 384},
	"1.3.36.3.3.2.8.1.1.13": {"brainpoolP512r1", 512},
}

func (c *Cert) describeKey(k *spkiASN1) {
	oid := k.Alg.Algorithm.String()
	c.KeyAlg = oidName(k.Alg.Algorithm, keyAlgNames)
	switch oid {
	case "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10":
		c.KeyType = "rsa"
		var pk struct{ N, E *big.Int }
		if _, err := asn1.Unmarshal(k.Key.Bytes, &pk); err == nil && pk.N != nil && pk.E != nil {
			c.KeyLength = pk.N.BitLen()
			c.Exponent = pk.E.String()
		}
	case "1.2.840.10040.4.1":
		c.KeyType = "dsa"
		var p struct{ P, Q, G *big.Int }
		if _, err := asn1.Unmarshal(k.Alg.Parameters.FullBytes, &p); err == nil && p.P != nil {
			c.KeyLength = p.P.BitLen()
		}
	case "1.2.840.10045.2.1":
		c.KeyType = "ecdsa"
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(k.Alg.Parameters.FullBytes, &curve); err == nil {
			if cv, ok := ecCurves[curve.String()]; ok {
				c.Curve, c.KeyLength = cv.name, cv.bits
			}
		}
	case "2.16.840.1.101.3.4.3.17", "2.16.840.1.101.3.4.3.18", "2.16.840.1.101.3.4.3.19":
		c.KeyType = c.KeyAlg
		c.KeyLength = k.Key.BitLength
	}
}

func (c *Cert) parseSAN(v []byte) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(v, &seq); err != nil || !seq.IsCompound {
		return
	}
	rest := seq.Bytes
	for len(rest) > 0 && len(c.SANDNS)+len(c.SANURI)+len(c.SANEmail)+len(c.SANIP) < 1000 {
		var gn asn1.RawValue
		var err error
		rest, err = asn1.Unmarshal(rest, &gn)
		if err != nil {
			return
		}
		if gn.Class != asn1.ClassContextSpecific {
			continue
		}
		switch gn.Tag {
		case 1:
			c.SANEmail = append(c.SANEmail, string(gn.Bytes))
		case 2:
			c.SANDNS = append(c.SANDNS, string(gn.Bytes))
		case 6:
			c.SANURI = append(c.SANURI, string(gn.Bytes))
		case 7:
			if a, ok := netip.AddrFromSlice(gn.Bytes); ok {
				c.SANIP = append(c.SANIP, a)
			}
		}
	}
}

var keyAlgNames = map[string]string{
	"1.2.840.113549.1.1.1":    "rsaEncryption",
	"1.2.840.113549.1.1.10":   "rsassaPss",
	"1.2.840.10045.2.1":       "id-ecPublicKey",
	"1.2.840.10040.4.1":       "dsaEncryption",
	"1.2.840.113549.1.3.1":    "dhKeyAgreement",
	"1.3.101.110":             "X25519",
	"1.3.101.111":             "X448",
	"1.3.101.112":             "ED25519",
	"1.3.101.113":             "ED448",
	"2.16.840.1.101.3.4.3.17": "ML-DSA-44",
	"2.16.840.1.101.3.4.3.18": "ML-DSA-65",
	"2.16.840.1.101.3.4.3.19": "ML-DSA-87",
}

var sigAlgNames = map[string]string{
	"1.2.840.113549.1.1.2":    "md2WithRSAEncryption",
	"1.2.840.113549.1.1.3":    "md4WithRSAEncryption",
	"1.2.840.113549.1.1.4":    "md5WithRSAEncryption",
	"1.2.840.113549.1.1.5":    "sha1WithRSAEncryption",
	"1.2.840.113549.1.1.10":   "rsassaPss",
	"1.2.840.113549.1.1.11":   "sha256WithRSAEncryption",
	"1.2.840.113549.1.1.12":   "sha384WithRSAEncryption",
	"1.2.840.113549.1.1.13":   "sha512WithRSAEncryption",
	"1.2.840.113549.1.1.14":   "sha224WithRSAEncryption",
	"1.3.14.3.2.29":           "sha1WithRSA",
	"1.2.840.10045.4.1":       "ecdsa-with-SHA1",
	"1.2.840.10045.4.3.1":     "ecdsa-with-SHA224",
	"1.2.840.10045.4.3.2":     "ecdsa-with-SHA256",
	"1.2.840.10045.4.3.3":     "ecdsa-with-SHA384",
	"1.2.840.10045.4.3.4":     "ecdsa-with-SHA512",
	"1.2.840.10040.4.3":       "dsaWithSHA1",
	"2.16.840.1.101.3.4.3.1":  "dsa_with_SHA224",
	"2.16.840.1.101.3.4.3.2":  "dsa_with_SHA256",
	"1.3.101.112":             "ED25519",
	"1.3.101.113":             "ED448",
	"2.16.840.1.101.3.4.3.17": "ML-DSA-44",
	"2.16.840.1.101.3.4.3.18": "ML-DSA-65",
	"2.16.840.1.101.3.4.3.19": "ML-DSA-87",
}

func oidName(oid asn1.ObjectIdentifier, names map[string]string) string {
	s := oid.String()
	if n, ok := names[s]; ok {
		return n
	}
	return s
}

// attrNames are OpenSSL's short names for distinguished-name attributes.
var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"2.5.4.18":                   "postOfficeBox",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "GN",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.45":                   "x500UniqueIdentifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.97":                   "organizationIdentifier",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"1.2.840.113549.1.9.2":       "unstructuredName",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
}

// formatName renders a DER Name the way OpenSSL's X509_NAME_print_ex does
// with XN_FLAG_RFC2253 minus ASN1_STRFLGS_ESC_MSB (Zeek's choice): RDNs in
// reverse order joined by ',', values UTF-8, RFC 2253 specials escaped,
// unknown attribute types dumped as #hex DER. It also returns the CN values.
func formatName(der []byte) (string, []string) {
	var rdns []atvSET
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) != 0 {
		return "", nil
	}
	var flat []atv
	for _, set := range rdns {
		flat = append(flat, set...)
	}
	var b strings.Builder
	var cns []string
	for i := len(flat) - 1; i >= 0; i-- {
		e := flat[i]
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		oid := e.Type.String()
		name, known := attrNames[oid]
		if !known {
			b.WriteString(oid)
			b.WriteByte('=')
			b.WriteByte('#')
			b.WriteString(strings.ToUpper(hex.EncodeToString(e.Value.FullBytes)))
			continue
		}
		b.WriteString(name)
		b.WriteByte('=')
		s, ok := decodeDirectoryString(e.Value)
		if !ok {
			b.WriteByte('#')
			b.WriteString(strings.ToUpper(hex.EncodeToString(e.Value.FullBytes)))
			continue
		}
		if oid == "2.5.4.3" {
			cns = append(cns, s)
		}
		escape2253(&b, s)
	}
	return b.String(), cns
}

func decodeDirectoryString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String:
		return string(v.Bytes), true
	case asn1.TagPrintableString, asn1.TagIA5String, asn1.TagNumericString, 26, asn1.TagT61String:
		// One byte per character (Latin-1), converted to UTF-8.
		ascii := true
		for _, c := range v.Bytes {
			if c >= 0x80 {
				ascii = false
				break
			}
		}
		if ascii {
			return string(v.Bytes), true
		}
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString
		if len(v.Bytes)%4 != 0 {
			return "", false
		}
		r := make([]rune, len(v.Bytes)/4)
		for i := range r {
			b := v.Bytes[4*i:]
			r[i] = rune(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		}
		return string(r), true
	}
	return "", false
}

func escape2253(b *strings.Builder, s string) {
	const hx = "0123456789ABCDEF"
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		switch {
		case size == 1 && (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';'):
			b.WriteByte('\\')
			b.WriteByte(c)
		case size == 1 && (c == '#' && i == 0 || c == ' ' && (i == 0 || i == len(s)-1)):
			b.WriteByte('\\')
			b.WriteByte(c)
		case size == 1 && (c < 0x20 || c == 0x7f):
			b.WriteByte('\\')
			b.WriteByte(hx[c>>4])
			b.WriteByte(hx[c&15])
		case r == utf8.RuneError && size == 1:
			b.WriteByte(c)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// MatchesHostname reports whether the certificate names host: its SAN DNS
// names and subject common names, with a leading "*." wildcard matching one
// label (case-insensitive).
func (c *Cert) MatchesHostname(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, list := range [][]string{c.SANDNS, c.subjectCNs} {
		for _, n := range list {
			if hostMatch(strings.ToLower(n), host) {
				return true
			}
		}
	}
	return false
}

func hostMatch(pattern, host string) bool {
	pattern = strings.TrimSuffix(pattern, ".")
	if pattern == host {
		return true
	}
	if strings.HasPrefix(pattern, "*.") {
		suffix := pattern[1:]
		if strings.HasSuffix(host, suffix) {
			label := host[:len(host)-len(suffix)]
			return label != "" && !strings.Contains(label, ".")
		}
	}
	return false
}

// certRelogAfter is how long a certificate is not logged again: Zeek logs
// one x509.log record per fingerprint (and host/client flag) per day, across
// connections (the run's writer, a proto.OnceSink, decides in record order;
// else proto.Shared holds the run's memory of them).
const certRelogAfter = int64(24 * time.Hour)

// x509 writes the x509.log record of one certificate.
func (a *Analyzer) x509(c *Cert, host, client bool) {
	key := c.Fingerprint
	if host {
		key += "h"
	}
	if client {
		key += "c"
	}
	if once, ok := a.out.(proto.OnceSink); ok {
		a.line = AppendX509JSON(a.line[:0], a.curTS, c, host, client)
		once.RecordOnce("x509", key, a.curTS, certRelogAfter, a.line)
		return
	}
	if a.ci.Shared.Recent(key, a.curTS, certRelogAfter) {
		return
	}
	b := AppendX509JSON(a.line[:0], a.curTS, c, host, client)
	a.line = b
	a.out.Record("x509", b)
}

// AppendX509JSON appends c as one x509.log JSON object with Zeek's field
// names (ts is when the certificate was seen).
func AppendX509JSON(b []byte, ts int64, c *Cert, host, client bool) []byte {
	b = append(b, `{"ts":`...)
	b = record.AppendTime(b, ts)
	b = strField(b, "fingerprint", c.Fingerprint)
	b = optField(b, "fingerprint_sha1", c.SHA1)
	if c.parsedFields {
		b = append(b, `,"certificate.version":`...)
		b = strconv.AppendInt(b, int64(c.Version), 10)
		b = strField(b, "certificate.serial", c.Serial)
		b = strField(b, "certificate.subject", c.Subject)
		b = strField(b, "certificate.issuer", c.Issuer)
		if !c.NotBefore.IsZero() {
			b = append(b, `,"certificate.not_valid_before":`...)
			b = record.AppendTime(b, c.NotBefore.UnixNano())
		}
		if !c.NotAfter.IsZero() {
			b = append(b, `,"certificate.not_valid_after":`...)
			b = record.AppendTime(b, c.NotAfter.UnixNano())
		}
		b = optField(b, "certificate.key_alg", c.KeyAlg)
		b = optField(b, "certificate.sig_alg", c.SigAlg)
		b = optField(b, "certificate.key_type", c.KeyType)
		if c.KeyLength > 0 {
			b = append(b, `,"certificate.key_length":`...)
			b = strconv.AppendInt(b, int64(c.KeyLength), 10)
		}
		b = optField(b, "certificate.exponent", c.Exponent)
		b = optField(b, "certificate.curve", c.Curve)
		b = strList(b, "san.dns", c.SANDNS)
		b = strList(b, "san.uri", c.SANURI)
		b = strList(b, "san.email", c.SANEmail)
		if len(c.SANIP) > 0 {
			b = append(b, `,"san.ip":[`...)
			for i, ip := range c.SANIP {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = ip.AppendTo(b)
				b = append(b, '"')
			}
			b = append(b, ']')
		}
		if c.HasBasicCons {
			b = boolField(b, "basic_constraints.ca", c.CA)
			if c.PathLen >= 0 {
				b = append(b, `,"basic_constraints.path_len":`...)
				b = strconv.AppendInt(b, int64(c.PathLen), 10)
			}
		}
	}
	b = boolField(b, "host_cert", host)
	b = boolField(b, "client_cert", client)
	return append(b, '}')
}

func strList(b []byte, k string, l []string) []byte {
	if len(l) == 0 {
		return b
	}
	return appendList(b, k, l)
}
