package tls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/proto"
)

func u16b(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func vec16(b []byte) []byte { return append(u16b(uint16(len(b))), b...) }

func vec8(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }

func ext(typ uint16, data []byte) []byte { return append(u16b(typ), vec16(data)...) }

func list16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = append(b, u16b(v)...)
	}
	return b
}

// specHello builds the ClientHello of the JA4 specification's example
// (t13d1516h2_8daaf6152771_e5627efa2ab1), with GREASE values sprinkled in.
func specHello() []byte {
	var b []byte
	b = append(b, 0x03, 0x03)
	b = append(b, bytes.Repeat([]byte{7}, 32)...)
	b = append(b, vec8(bytes.Repeat([]byte{9}, 32))...)
	b = append(b, vec16(list16(0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
		0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035))...)
	b = append(b, vec8([]byte{0})...)
	var e []byte
	e = append(e, ext(0x2a2a, nil)...)
	sni := append([]byte{0}, vec16([]byte("example.com"))...)
	e = append(e, ext(0, vec16(sni))...)
	e = append(e, ext(0x0017, nil)...)
	e = append(e, ext(0xff01, []byte{0})...)
	e = append(e, ext(0x000a, vec16(list16(0x5a5a, 0x001d, 0x0017, 0x0018)))...)
	e = append(e, ext(0x000b, vec8([]byte{0}))...)
	e = append(e, ext(0x0023, nil)...)
	alpn := append(vec8([]byte("h2")), vec8([]byte("http/1.1"))...)
	e = append(e, ext(0x0010, vec16(alpn))...)
	e = append(e, ext(0x0005, []byte{1, 0, 0, 0, 0})...)
	e = append(e, ext(0x000d, vec16(list16(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)))...)
	e = append(e, ext(0x0012, nil)...)
	e = append(e, ext(0x0033, vec16(append(list16(0x001d), vec16(bytes.Repeat([]byte{1}, 32))...)))...)
	e = append(e, ext(0x002d, vec8([]byte{1}))...)
	e = append(e, ext(0x002b, vec8(list16(0x6a6a, 0x0304, 0x0303)))...)
	e = append(e, ext(0x001b, []byte{2, 0, 2})...)
	e = append(e, ext(0x4469, nil)...)
	e = append(e, ext(0x0015, make([]byte, 10))...)
	e = append(e, ext(0x3a3a, []byte{0})...)
	b = append(b, vec16(e)...)
	return b
}

func handshakeMsg(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func tlsRecord(typ byte, body []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

func TestJA4SpecExample(t *testing.T) {
	ch, err := ParseClientHello(specHello())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := JA4(ch, JA4TCP), "t13d1516h2_8daaf6152771_e5627efa2ab1"; got != want {
		t.Errorf("JA4 = %s, want %s", got, want)
	}
	if got := JA4(ch, JA4QUIC); !strings.HasPrefix(got, "q13d1516h2_") {
		t.Errorf("QUIC JA4 = %s", got)
	}
	raw := JA4Raw(ch, JA4TCP)
	if want := "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"; raw != want {
		t.Errorf("JA4_r = %s\nwant   %s", raw, want)
	}
	if ch.ServerName() != "example.com" || len(ch.ALPN) != 2 || ch.ALPN[0] != "h2" {
		t.Errorf("sni %q alpn %q", ch.ServerName(), ch.ALPN)
	}
	s, h := JA3(ch)
	if strings.Contains(s, "2570") || strings.Contains(s, "23130") || strings.Contains(s, "10794") {
		t.Errorf("JA3 kept GREASE: %s", s)
	}
	if !strings.HasPrefix(s, "771,4865-4866-4867-49195-") || !strings.HasSuffix(s, ",29-23-24,0") || len(h) != 32 {
		t.Errorf("JA3 = %s %s", s, h)
	}
}

func TestJA4Edges(t *testing.T) {
	ch := &ClientHello{Version: 0x0301, CipherSuites: []uint16{0x0a0a}}
	if got := JA4(ch, JA4TCP); got != "t10i000000_000000000000_000000000000" {
		t.Errorf("empty JA4 = %s", got)
	}
	ch = &ClientHello{Version: 0x0303, ALPN: []string{"\xc3\xa9x\xff"}, Extensions: []uint16{0x0010}}
	if got := JA4(ch, JA4TCP); got[8:10] != "99" {
		t.Errorf("non-ASCII ALPN gives %s", got)
	}
	ch = &ClientHello{Version: 0x0303, ALPN: []string{"h"}}
	if got := JA4(ch, JA4TCP); got[8:10] != "hh" {
		t.Errorf("1-char ALPN gives %s", got)
	}
	many := make([]uint16, 150)
	for i := range many {
		many[i] = uint16(i + 1)
	}
	ch = &ClientHello{Version: 0x0303, CipherSuites: many, Extensions: many}
	if got := JA4(ch, JA4TCP); got[4:8] != "9999" {
		t.Errorf("counts not capped: %s", got)
	}
	for _, g := range []uint16{0x0a0a, 0x1a1a, 0xfafa} {
		if !IsGREASE(g) {
			t.Errorf("%04x not GREASE", g)
		}
	}
	for _, g := range []uint16{0x0a1a, 0x1301, 0x0a0b} {
		if IsGREASE(g) {
			t.Errorf("%04x GREASE", g)
		}
	}
}

// serverHelloBody is a TLS 1.3 ServerHello body with a session id, key
// share and ALPN "h2".
func serverHelloBody() []byte {
	var b []byte
	b = append(b, 3, 3)
	b = append(b, make([]byte, 32)...)
	b = append(b, vec8([]byte{1, 2})...)
	b = append(b, u16b(0x1301)...)
	b = append(b, 0)
	e := ext(0x002b, u16b(0x0304))
	e = append(e, ext(0x0033, append(u16b(0x001d), vec16(make([]byte, 32))...))...)
	e = append(e, ext(0x0010, vec16(vec8([]byte("h2"))))...)
	return append(b, vec16(e)...)
}

func TestJA3SAndServerHello(t *testing.T) {
	sh, err := ParseServerHello(serverHelloBody())
	if err != nil {
		t.Fatal(err)
	}
	if sh.NegotiatedVersion() != 0x0304 || sh.KeyShareGroup != 29 || sh.ALPN[0] != "h2" {
		t.Errorf("%+v", sh)
	}
	s, _ := JA3S(sh)
	if s != "771,4865,43-51-16" {
		t.Errorf("JA3S = %s", s)
	}
}

func TestMalformedHellos(t *testing.T) {
	full := specHello()
	for i := 0; i < len(full); i++ {
		ch, err := ParseClientHello(full[:i])
		if err == nil && i > 40 && len(ch.Extensions) > 16 {
			t.Fatalf("truncated hello at %d parsed all extensions", i)
		}
		ParseServerHello(full[:i])
	}
	// Corrupt every byte in turn: never panics.
	for i := range full {
		c := append([]byte(nil), full...)
		c[i] ^= 0xff
		if ch, err := ParseClientHello(c); err == nil {
			JA3(ch)
			JA4(ch, JA4TCP)
		}
	}
}

type lineSink struct{ lines []string }

func (s *lineSink) Record(log string, line []byte) { s.lines = append(s.lines, log+" "+string(line)) }

func testCert(t testing.TB) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234),
		Subject:      pkix.Name{CommonName: "example.com", Organization: []string{"Ex, Inc."}, Country: []string{"US"}},
		NotBefore:    time.Unix(1600000000, 0), NotAfter: time.Unix(1700000000, 0),
		DNSNames:              []string{"example.com", "*.example.com"},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// handshakeStreams builds a TLS 1.2 ECDHE handshake: client and server
// byte streams, each a list of chunks in send order (ping-pong).
func handshakeStreams(cert []byte) (client, server [][]byte) {
	ch := tlsRecord(22, handshakeMsg(1, specHelloTLS12()))
	var shb []byte
	shb = append(shb, 3, 3)
	shb = append(shb, make([]byte, 32)...)
	shb = append(shb, vec8(nil)...)
	shb = append(shb, u16b(0xc02b)...)
	shb = append(shb, 0)
	shb = append(shb, vec16(ext(0x0010, vec16(vec8([]byte("h2")))))...)
	certList := append([]byte{byte(len(cert) >> 16), byte(len(cert) >> 8), byte(len(cert))}, cert...)
	certMsg := handshakeMsg(11, append([]byte{byte(len(certList) >> 16), byte(len(certList) >> 8), byte(len(certList))}, certList...))
	ske := handshakeMsg(12, append([]byte{3, 0, 23}, vec8(make([]byte, 65))...))
	flight := append(handshakeMsg(2, shb), certMsg...)
	flight = append(flight, ske...)
	flight = append(flight, handshakeMsg(14, nil)...)
	// Split the server flight across two records, mid-message.
	half := len(flight) / 2
	srv1 := append(tlsRecord(22, flight[:half]), tlsRecord(22, flight[half:])...)
	cke := tlsRecord(22, handshakeMsg(16, vec8(make([]byte, 65))))
	cli2 := append(cke, tlsRecord(20, []byte{1})...)
	cli2 = append(cli2, tlsRecord(22, make([]byte, 40))...)
	srv2 := append(tlsRecord(20, []byte{1}), tlsRecord(22, make([]byte, 40))...)
	cli3 := tlsRecord(23, make([]byte, 100))
	return [][]byte{ch, cli2, cli3}, [][]byte{srv1, srv2}
}

func specHelloTLS12() []byte { return specHello() }

var testConn = proto.ConnInfo{UID: "CT1", TS: 1e18, OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"), OrigP: 50000, RespP: 443, Transport: 6}

// feedSplit runs the handshake with each chunk delivered in pieces cut at
// the given offsets.
func runHandshake(client, server [][]byte, cut func(b []byte) [][]byte) []string {
	sink := &lineSink{}
	a := New(&testConn, sink)
	ts := int64(1e18)
	send := func(dir proto.Direction, b []byte) {
		for _, p := range cut(b) {
			ts += 1000
			a.Data(dir, ts, p)
		}
	}
	send(proto.FromOrig, client[0])
	send(proto.FromResp, server[0])
	send(proto.FromOrig, client[1])
	send(proto.FromResp, server[1])
	send(proto.FromOrig, client[2])
	a.End(ts)
	// Timestamps depend on the cut; blank them.
	out := make([]string, len(sink.lines))
	for i, l := range sink.lines {
		j := strings.Index(l, `"ts":`)
		k := strings.Index(l[j:], ",")
		out[i] = l[:j] + l[j+k:]
	}
	return out
}

func TestAnalyzerHandshake(t *testing.T) {
	cert := testCert(t)
	client, server := handshakeStreams(cert)
	whole := runHandshake(client, server, func(b []byte) [][]byte { return [][]byte{b} })
	if len(whole) != 2 {
		t.Fatalf("records: %q", whole)
	}
	ssl := whole[1]
	for _, want := range []string{`"version":"TLSv12"`, `"cipher":"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"`,
		`"curve":"secp256r1"`, `"server_name":"example.com"`, `"next_protocol":"h2"`, `"established":true`,
		`"ssl_history":"CsxknGIi"`, `"sni_matches_cert":true`, `"ja4":"t13d1516h2_8daaf6152771_e5627efa2ab1"`,
		`"client_cert_chain_fps":[]`} {
		if !strings.Contains(ssl, want) {
			t.Errorf("ssl record lacks %s:\n%s", want, ssl)
		}
	}
	sum1 := sha1.Sum(cert)
	if want := fmt.Sprintf(`"cert_chain_fps_sha1":["%x"]`, sum1); !strings.Contains(ssl, want) {
		t.Errorf("ssl record lacks %s:\n%s", want, ssl)
	}
	x := whole[0]
	if want := fmt.Sprintf(`"fingerprint_sha1":"%x"`, sum1); !strings.Contains(x, want) {
		t.Errorf("x509 record lacks %s:\n%s", want, x)
	}
	for _, want := range []string{`"certificate.serial":"1234"`, `"certificate.subject":"CN=example.com,O=Ex\\, Inc.,C=US"`,
		`"certificate.key_alg":"id-ecPublicKey"`, `"certificate.curve":"prime256v1"`, `"san.dns":["example.com","*.example.com"]`,
		`"basic_constraints.ca":false`, `"host_cert":true`} {
		if !strings.Contains(x, want) {
			t.Errorf("x509 record lacks %s:\n%s", want, x)
		}
	}
	// Every split point of every chunk gives the same records.
	for ci := 0; ci < 5; ci++ {
		var chunk []byte
		if ci < 3 {
			chunk = client[ci]
		} else {
			chunk = server[ci-3]
		}
		for i := 1; i < len(chunk); i++ {
			target := chunk
			got := runHandshake(client, server, func(b []byte) [][]byte {
				if &b[0] == &target[0] {
					return [][]byte{b[:i], b[i:]}
				}
				return [][]byte{b}
			})
			if strings.Join(got, "\n") != strings.Join(whole, "\n") {
				t.Fatalf("chunk %d split at %d:\n%s\nwant\n%s", ci, i, strings.Join(got, "\n"), strings.Join(whole, "\n"))
			}
		}
	}
	// Byte by byte.
	got := runHandshake(client, server, func(b []byte) [][]byte {
		out := make([][]byte, len(b))
		for i := range b {
			out[i] = b[i : i+1]
		}
		return out
	})
	if strings.Join(got, "\n") != strings.Join(whole, "\n") {
		t.Fatalf("byte by byte:\n%s", strings.Join(got, "\n"))
	}
}

func TestAnalyzerStopsOnGarbage(t *testing.T) {
	sink := &lineSink{}
	a := New(&testConn, sink)
	a.Data(proto.FromOrig, 1, []byte("GET / HTTP/1.1\r\n\r\n"))
	a.Data(proto.FromResp, 2, bytes.Repeat([]byte{0x16, 3, 3, 0xff, 0xff}, 100))
	a.End(3)
	if len(sink.lines) != 0 || a.Service() != "" {
		t.Errorf("records for non-TLS: %q", sink.lines)
	}
	// An alert-only exchange is logged.
	sink = &lineSink{}
	a = New(&testConn, sink)
	a.Data(proto.FromOrig, 1, tlsRecord(22, handshakeMsg(1, specHello())))
	a.Data(proto.FromResp, 2, tlsRecord(21, []byte{2, 40}))
	a.End(3)
	if len(sink.lines) != 1 || !strings.Contains(sink.lines[0], `"last_alert":"handshake_failure"`) || !strings.Contains(sink.lines[0], `"ssl_history":"Cl"`) {
		t.Errorf("alert: %q", sink.lines)
	}
}

func TestDetect(t *testing.T) {
	ch := tlsRecord(22, handshakeMsg(1, specHello()))
	if c := Detect(proto.FromOrig, ch[:200], 443, 6); c != proto.Sure {
		t.Errorf("client hello: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte("GET / HTTP/1.1"), 443, 6); c != proto.No {
		t.Errorf("http: %v", c)
	}
	if c := Detect(proto.FromOrig, ch, 443, 17); c != proto.No {
		t.Errorf("udp: %v", c)
	}
	found := false
	for _, f := range proto.Factories() {
		found = found || f.Name == "ssl"
	}
	if !found {
		t.Error("ssl factory not registered")
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz seeds (VIGIL_WRITE_SEEDS=1).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_SEEDS=1 to rewrite the seed corpus")
	}
	write := func(target, name string, vals ...[]byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		os.MkdirAll(dir, 0o755)
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range vals {
			b.WriteString("[]byte(" + strconv.Quote(string(v)) + ")\n")
		}
		os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644)
	}
	write("FuzzClientHello", "spec", specHello())
	client, server := handshakeStreams(testCert(t))
	write("FuzzAnalyzer", "handshake", bytes.Join(client, nil), bytes.Join(server, nil))
	write("FuzzAnalyzer", "alert", tlsRecord(22, handshakeMsg(1, specHello())), tlsRecord(21, []byte{2, 40}))
}

// TestEncryptedRecordNotBuffered: once a side is encrypted, a record that
// spans segments is passed over, not gathered (its bytes are never read),
// and the handshake still completes as before.
func TestEncryptedRecordNotBuffered(t *testing.T) {
	client, server := handshakeStreams(testCert(t))
	sink := &lineSink{}
	a := New(&testConn, sink)
	a.Data(proto.FromOrig, 1, client[0])
	a.Data(proto.FromResp, 2, server[0])
	a.Data(proto.FromOrig, 3, client[1]) // the client's ChangeCipherSpec and Finished
	big := tlsRecord(23, make([]byte, 16000))
	for i := 0; i < len(big); i += 1000 {
		a.Data(proto.FromOrig, 4, big[i:min(i+1000, len(big))])
	}
	if c := cap(a.s[proto.FromOrig].buf); c > 64 {
		t.Errorf("an encrypted 16 kB record was gathered (buffer capacity %d)", c)
	}
	a.Data(proto.FromResp, 5, server[1])
	a.Data(proto.FromOrig, 6, client[2])
	a.End(7)
	if len(sink.lines) != 2 || !strings.Contains(sink.lines[1], `"established":true`) {
		t.Errorf("records after an encrypted record in pieces: %q", sink.lines)
	}
}

// TestJA4FromRaw checks JA4 against JA4_r hashed part by part, also for
// lists longer than the stack room of ja4Raw.
func TestJA4FromRaw(t *testing.T) {
	long := &ClientHello{Version: 0x0303, ALPN: []string{"http/1.1"}}
	for i := range 300 {
		long.CipherSuites = append(long.CipherSuites, uint16(0x1000+i*7))
		long.Extensions = append(long.Extensions, uint16(0x2000+i*3))
		long.SignatureAlgorithms = append(long.SignatureAlgorithms, uint16(0x0400+i))
	}
	spec, err := ParseClientHello(specHello())
	if err != nil {
		t.Fatal(err)
	}
	hash12 := func(s string) string {
		if s == "" {
			return "000000000000"
		}
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])[:12]
	}
	for _, ch := range []*ClientHello{spec, long, {Version: 0x0301}} {
		parts := strings.SplitN(JA4Raw(ch, JA4TCP), "_", 3)
		want := parts[0] + "_" + hash12(parts[1]) + "_" + hash12(parts[2])
		if got := JA4(ch, JA4TCP); got != want {
			t.Errorf("JA4 = %s, want %s", got, want)
		}
		s, h := JA3(ch)
		if h != ja3Hash(ch) || s == "" {
			t.Errorf("JA3 %s %s, ja3Hash %s", s, h, ja3Hash(ch))
		}
	}
}

// memoHellos returns hellos that differ in one fingerprint input each
// (or, for "grease", only in what the fingerprints ignore), by name.
func memoHellos(t *testing.T) map[string]*ClientHello {
	t.Helper()
	parse := func() *ClientHello {
		ch, err := ParseClientHello(specHello())
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	hs := map[string]*ClientHello{"spec": parse()}
	vary := func(name string, change func(ch *ClientHello)) {
		ch := parse()
		change(ch)
		hs[name] = ch
	}
	regrease := func(l []uint16) {
		for i, v := range l {
			if IsGREASE(v) {
				l[i] = v ^ 0xf0f0
			}
		}
	}
	vary("grease", func(ch *ClientHello) {
		// Other GREASE values, one more, and another SNI name.
		regrease(ch.CipherSuites)
		regrease(ch.Extensions)
		regrease(ch.SupportedGroups)
		regrease(ch.SupportedVersions)
		ch.SignatureAlgorithms = append([]uint16{0x1a1a}, ch.SignatureAlgorithms...)
		ch.ServerNames = []string{"other.example"}
		ch.Random[0]++
	})
	vary("reordered extensions", func(ch *ClientHello) {
		ch.Extensions[2], ch.Extensions[5] = ch.Extensions[5], ch.Extensions[2]
	})
	vary("reordered ciphers", func(ch *ClientHello) {
		ch.CipherSuites[1], ch.CipherSuites[2] = ch.CipherSuites[2], ch.CipherSuites[1]
	})
	vary("no SNI", func(ch *ClientHello) {
		ch.Extensions = slices.DeleteFunc(ch.Extensions, func(e uint16) bool { return e == extServerName })
		ch.ServerNames = nil
	})
	vary("ALPN http/1.1", func(ch *ClientHello) { ch.ALPN = []string{"http/1.1", "h2"} })
	vary("ALPN none", func(ch *ClientHello) { ch.ALPN = nil })
	vary("ALPN empty name", func(ch *ClientHello) { ch.ALPN = []string{""} })
	vary("ALPN non-ASCII", func(ch *ClientHello) { ch.ALPN = []string{"\xc3h\xff"} })
	vary("versions GREASE only", func(ch *ClientHello) { ch.SupportedVersions = []uint16{0x7a7a} })
	vary("versions none", func(ch *ClientHello) { ch.SupportedVersions = nil })
	vary("legacy version", func(ch *ClientHello) { ch.Version = 0x0301 })
	vary("groups", func(ch *ClientHello) { ch.SupportedGroups = ch.SupportedGroups[:2] })
	vary("point formats", func(ch *ClientHello) { ch.ECPointFormats = []byte{0, 1} })
	vary("no point formats", func(ch *ClientHello) { ch.ECPointFormats = nil })
	vary("signature algorithms", func(ch *ClientHello) { ch.SignatureAlgorithms = ch.SignatureAlgorithms[1:] })
	vary("cipher moved to extensions", func(ch *ClientHello) {
		// The same values, split differently between the lists.
		n := len(ch.CipherSuites) - 1
		ch.Extensions = append([]uint16{ch.CipherSuites[n]}, ch.Extensions...)
		ch.CipherSuites = ch.CipherSuites[:n]
	})
	long := &ClientHello{Version: 0x0303}
	for i := range 300 {
		long.CipherSuites = append(long.CipherSuites, uint16(0x1000+i))
	}
	hs["too long to remember"] = long
	hs["empty"] = &ClientHello{}
	return hs
}

// TestMemoFingerprints checks that a memo that remembers any of the
// hellos gives each hello its fresh fingerprints, that hellos with equal
// keys have equal fingerprints, and that only what the fingerprints
// ignore (GREASE values, SNI names, an empty ALPN name) leaves the key
// unchanged.
func TestMemoFingerprints(t *testing.T) {
	hs := memoHellos(t)
	transports := []byte{JA4TCP, JA4QUIC}
	for _, prevTr := range transports {
		for _, tr := range transports {
			for prevName, prev := range hs {
				for name, ch := range hs {
					checkMemoAfter(t, prev, prevTr, ch, tr)
					k1, ok1 := fingerprintKey(make([]byte, maxMemoKey), prev, prevTr)
					k2, ok2 := fingerprintKey(make([]byte, maxMemoKey), ch, tr)
					if ok1 != (prevName != "too long to remember") || ok2 != (name != "too long to remember") {
						t.Fatalf("%s: key ok %v, %s: key ok %v", prevName, ok1, name, ok2)
					}
					same := string(k1) == string(k2)
					if ok1 && ok2 && same != (prevTr == tr && keyClass(name) == keyClass(prevName)) {
						t.Errorf("%c %s and %c %s: same key %v", prevTr, prevName, tr, name, same)
					}
				}
			}
		}
	}
	var m jaMemo
	m.fingerprints(hs["too long to remember"], JA4TCP)
	if m.key != nil {
		t.Errorf("a hello too long for the memo is remembered (key %d bytes)", len(m.key))
	}
}

// keyClass names the hello of memoHellos whose key the named one's equals
// (the fingerprints ignore what sets them apart).
func keyClass(name string) string {
	switch name {
	case "grease":
		return "spec"
	case "ALPN empty name":
		return "ALPN none"
	}
	return name
}

// checkMemo checks that memos give ch its fresh fingerprints, whether
// they last remembered the specification's hello or ch itself.
func checkMemo(t *testing.T, ch *ClientHello) {
	t.Helper()
	spec, err := ParseClientHello(specHello())
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []byte{JA4TCP, JA4QUIC} {
		checkMemoAfter(t, spec, JA4TCP, ch, tr)
	}
}

// checkMemoAfter checks that a memo that remembers prev (for prevTr)
// gives ch its fresh fingerprints for tr, twice (a miss or a hit, then a
// hit).
func checkMemoAfter(t *testing.T, prev *ClientHello, prevTr byte, ch *ClientHello, tr byte) {
	t.Helper()
	var m jaMemo
	m.fingerprints(prev, prevTr)
	want3, want4 := ja3Hash(ch), JA4(ch, tr)
	for range 2 {
		if ja3, ja4 := m.fingerprints(ch, tr); ja3 != want3 || ja4 != want4 {
			t.Fatalf("%c after %c: memo %s %s, fresh %s %s", tr, prevTr, ja3, ja4, want3, want4)
		}
	}
}

func BenchmarkMemoHit(b *testing.B) {
	ch, err := ParseClientHello(specHello())
	if err != nil {
		b.Fatal(err)
	}
	var m jaMemo
	m.fingerprints(ch, JA4TCP)
	b.ReportAllocs()
	for b.Loop() {
		m.fingerprints(ch, JA4TCP)
	}
}

// TestClientHelloOverLimit: a client hello beyond maxClientHelloBuf is
// skipped (its letter logged, nothing parsed), and the record layer stays
// in step for the records after it.
func TestClientHelloOverLimit(t *testing.T) {
	body := append([]byte{3, 3}, make([]byte, maxClientHelloBuf)...)
	msg := handshakeMsg(1, body)
	var stream []byte
	for len(msg) > 0 {
		n := min(len(msg), 16384)
		stream = append(stream, tlsRecord(22, msg[:n])...)
		msg = msg[n:]
	}
	stream = append(stream, tlsRecord(21, []byte{2, 40})...)
	sink := &lineSink{}
	a := New(&testConn, sink)
	a.Data(proto.FromOrig, 1e18, stream)
	a.End(1e18 + 1000)
	if len(sink.lines) != 1 || !strings.Contains(sink.lines[0], `"ssl_history":"CL"`) || strings.Contains(sink.lines[0], "ja4") {
		t.Errorf("records %q", sink.lines)
	}
}

// TestHRRFirstHelloFingerprints: after a HelloRetryRequest the ssl record
// keeps the first hello's JA3 and JA4 (FoxIO's Rust tool logs the first
// hello's JA4 too), though the second hello is parsed.
func TestHRRFirstHelloFingerprints(t *testing.T) {
	client, server := hrrStreams()
	// The second hello offers TLS_RSA_WITH_AES_256_CBC_SHA256 for
	// TLS_RSA_WITH_AES_256_CBC_SHA.
	client[1] = bytes.Replace(client[1], []byte{0x00, 0x2f, 0x00, 0x35}, []byte{0x00, 0x2f, 0x00, 0x3d}, 1)
	ch, err := ParseClientHello(specHello())
	if err != nil {
		t.Fatal(err)
	}
	want := JA4(ch, JA4TCP)
	got := runHandshake(client, server, func(b []byte) [][]byte { return [][]byte{b} })
	if len(got) != 1 || !strings.Contains(got[0], `"ja4":"`+want+`"`) || !strings.Contains(got[0], "CjiICs") {
		t.Fatalf("records %q, want ja4 %s", got, want)
	}
}

// TestGatheredMessageStops: a handshake message gathered across records
// that stops the analyzer (a client hello that does not parse) ends its
// parsing there: the connection is logged once, and the analyzer does
// not go on to read the message buffer its log gave back.
func TestGatheredMessageStops(t *testing.T) {
	msg := handshakeMsg(1, bytes.Repeat([]byte{0xff}, 40))
	sink := &lineSink{}
	a := New(&testConn, sink)
	a.Data(proto.FromOrig, 1, tlsRecord(22, msg[:10]))
	a.Data(proto.FromOrig, 2, tlsRecord(22, msg[10:]))
	a.End(3)
	if len(sink.lines) != 1 || !strings.Contains(sink.lines[0], `"ssl_history":"C"`) {
		t.Errorf("lines %q", sink.lines)
	}
}
