package tls

// Review tests (TLS/PKI review, revE): each fails on the code as reviewed
// and passes once the problem it names is fixed.

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// helloWithALPN is a TLS 1.2 ClientHello (with SNI) whose only ALPN
// protocol is alpn.
func helloWithALPN(alpn string) *ClientHello {
	return &ClientHello{Version: 0x0303, CipherSuites: []uint16{0x1301, 0xc02f},
		Extensions: []uint16{0x0000, 0x0010, 0x000d}, ServerNames: []string{"example.com"},
		ALPN: []string{alpn}, SignatureAlgorithms: []uint16{0x0403}}
}

// TestReviewJA4ALPNNonAlphanumeric: FoxIO's JA4 specification (JA4.md,
// "ALPN Extension Value"): "If the first or last byte of the first ALPN is
// non-alphanumeric (meaning not 0x30-0x39, 0x41-0x5A, or 0x61-0x7A), then
// we print the first and last characters of the hex representation of the
// first ALPN instead" (0x30 0xAB -> "3b"). Vigil copies ASCII punctuation
// and control bytes verbatim into JA4_a, so a client can put '_' (the
// JA4 part separator), NUL or a newline into the fingerprint. Only ASCII
// cases are checked here: for 0xba 0xad FoxIO's own vector (rust/python)
// says "99", which Vigil follows on purpose.
func TestReviewJA4ALPNNonAlphanumeric(t *testing.T) {
	for _, c := range []struct{ alpn, want string }{
		{"_", "5f"},     // 0x5f -> "5f"
		{"a_", "6f"},    // 0x61 … 0x5f -> '6' 'f'
		{"\x00", "00"},  // NUL
		{"h2\n", "6a"},  // 0x68 … 0x0a
		{"acme-", "6d"}, // 0x61 … 0x2d
		{"/x", "28"},    // 0x2f … 0x78
	} {
		got := JA4(helloWithALPN(c.alpn), JA4TCP)
		if a := got[8:10]; a != c.want || strings.Count(got, "_") != 2 {
			t.Errorf("ALPN %q: JA4 %q, ALPN characters %q, want %q (spec: hex of first/last byte)", c.alpn, got, a, c.want)
		}
	}
}

// hrrStreams builds a TLS 1.3 handshake with a HelloRetryRequest and the
// middlebox-compatibility ChangeCipherSpec records (RFC 8446 D.4), as
// Chrome/BoringSSL and OpenSSL send them: CH1 / HRR, CCS / CCS, CH2 / SH
// (then encrypted records) / encrypted.
func hrrStreams() (client, server [][]byte) {
	ch := specHello() // t13d1516h2_…, SNI example.com
	hrr := []byte{3, 3}
	hrr = append(hrr, helloRetryRandom[:]...)
	hrr = append(hrr, vec8(bytes.Repeat([]byte{9}, 32))...)
	hrr = append(hrr, u16b(0x1301)...)
	hrr = append(hrr, 0)
	hrr = append(hrr, vec16(append(ext(0x002b, u16b(0x0304)), ext(0x0033, u16b(0x0017))...))...)
	sh := []byte{3, 3}
	sh = append(sh, bytes.Repeat([]byte{5}, 32)...)
	sh = append(sh, vec8(bytes.Repeat([]byte{9}, 32))...)
	sh = append(sh, u16b(0x1301)...)
	sh = append(sh, 0)
	sh = append(sh, vec16(append(ext(0x002b, u16b(0x0304)), ext(0x0033, append(u16b(0x0017), vec16(make([]byte, 65))...))...))...)
	ccs := tlsRecord(20, []byte{1})
	cli1 := tlsRecord(22, handshakeMsg(1, ch))
	srv1 := append(tlsRecord(22, handshakeMsg(2, hrr)), ccs...)
	cli2 := append(append([]byte{}, ccs...), tlsRecord(22, handshakeMsg(1, ch))...)
	srv2 := append(tlsRecord(22, handshakeMsg(2, sh)), tlsRecord(23, make([]byte, 1200))...)
	cli3 := tlsRecord(23, make([]byte, 80))
	return [][]byte{cli1, cli2, cli3}, [][]byte{srv1, srv2}
}

// TestReviewHRRCompatCCS: after a HelloRetryRequest the client sends the
// compatibility ChangeCipherSpec and then its second ClientHello in clear;
// the server's real ServerHello follows in clear too. Vigil treats a
// ChangeCipherSpec as the start of encryption in TLS 1.3 as in TLS 1.2,
// so it never parses the second ClientHello nor the ServerHello: Zeek logs
// ssl_history "CjiICs" for such a connection (Zeek baseline
// scripts.base.protocols.ssl.tls13/ssl-out.log on tls/hrr.pcap), Vigil
// "CjiI" (the same pcap; see internal/conformance/review_tls_test.go).
func TestReviewHRRCompatCCS(t *testing.T) {
	client, server := hrrStreams()
	got := runHandshake(client, server, func(b []byte) [][]byte { return [][]byte{b} })
	if len(got) != 1 {
		t.Fatalf("records %q", got)
	}
	if !strings.Contains(got[0], `"ssl_history":"CjiICs"`) || !strings.Contains(got[0], `"established":true`) {
		t.Errorf("HRR handshake: %s\nwant ssl_history CjiICs (Zeek) and established", got[0])
	}
}

// TestReviewLargeClientHello: a ClientHello larger than the 64 KiB
// handshake buffer (OpenSSL servers accept up to 131396 bytes:
// CLIENT_HELLO_MAX_LENGTH) is skipped whole: the connection's ssl record
// has no server_name, no ja3 and no ja4, so a client that pads its hello
// (a padding extension and a long cipher list) escapes SNI logging, the
// JA3/JA4 blocklists and the intel matcher. The hello's fields are all in
// its first 64 KiB here (the padding extension comes last).
func TestReviewLargeClientHello(t *testing.T) {
	var b []byte
	b = append(b, 3, 3)
	b = append(b, bytes.Repeat([]byte{7}, 32)...)
	b = append(b, vec8(nil)...)
	var cs []uint16
	for i := 0; i < 3000; i++ {
		cs = append(cs, 0x1301)
	}
	b = append(b, vec16(list16(cs...))...)
	b = append(b, vec8([]byte{0})...)
	var e []byte
	sni := append([]byte{0}, vec16([]byte("evil.example"))...)
	e = append(e, ext(0, vec16(sni))...)
	e = append(e, ext(0x0010, vec16(vec8([]byte("h2"))))...)
	e = append(e, ext(0x002b, vec8(list16(0x0304)))...)
	e = append(e, ext(0x0015, make([]byte, 60000))...)
	b = append(b, vec16(e)...)
	msg := handshakeMsg(1, b)
	if len(msg) <= maxHandshakeBuf {
		t.Fatalf("hello of %d bytes is not over the buffer", len(msg))
	}
	var stream []byte
	for len(msg) > 0 {
		n := min(len(msg), 16384)
		stream = append(stream, tlsRecord(22, msg[:n])...)
		msg = msg[n:]
	}
	sink := &lineSink{}
	a := New(&testConn, sink)
	a.Data(proto.FromOrig, 1e18, stream)
	a.End(1e18 + 1000)
	if len(sink.lines) != 1 {
		t.Fatalf("records %q", sink.lines)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimPrefix(sink.lines[0], "ssl ")), &m); err != nil {
		t.Fatal(err)
	}
	if m["server_name"] != "evil.example" || m["ja4"] == nil || m["ja3"] == nil {
		t.Errorf("a %d-byte ClientHello: server_name %v ja3 %v ja4 %v (want evil.example and fingerprints)",
			len(b)+4, m["server_name"], m["ja3"], m["ja4"])
	}
}
