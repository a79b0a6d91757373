package quic

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// RFC 9001 Appendix A and RFC 9369 Appendix A: the client's first
// Destination Connection ID and the plaintext of the client Initial.
const (
	rfcDCID         = "8394c8f03e515708"
	rfcClientCrypto = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868" +
		"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578" +
		"616d706c652e636f6dff01000100000a00080006001d00170018001000070005" +
		"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba" +
		"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400" +
		"0d0010000e0403050306030203080408050806002d00020101001c0002400100" +
		"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000" +
		"75300901100f088394c8f03e51570806048000ffff"
	rfcServerFrames = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739" +
		"88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94" +
		"0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00" +
		"020304"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return unhex(t, string(b))
}

func TestInitialKeys(t *testing.T) {
	dcid := unhex(t, rfcDCID)
	for _, tc := range []struct {
		name        string
		version     uint32
		server      bool
		secret      string
		key, iv, hp string
	}{
		{"v1 client", Version1, false,
			"c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
			"1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"},
		{"v1 server", Version1, true,
			"3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
			"cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"},
		{"v2 client", Version2, false,
			"14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
			"8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9"},
		{"v2 server", Version2, true,
			"0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
			"82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := hex.EncodeToString(InitialSecret(tc.version, dcid, tc.server)); got != tc.secret {
				t.Errorf("secret %s, want %s", got, tc.secret)
			}
			k := InitialKeys(tc.version, dcid, tc.server)
			if got := hex.EncodeToString(k.Key[:]); got != tc.key {
				t.Errorf("key %s, want %s", got, tc.key)
			}
			if got := hex.EncodeToString(k.IV[:]); got != tc.iv {
				t.Errorf("iv %s, want %s", got, tc.iv)
			}
			if got := hex.EncodeToString(k.HP[:]); got != tc.hp {
				t.Errorf("hp %s, want %s", got, tc.hp)
			}
		})
	}
}

// TestHeaderProtectionSample is RFC 9001 A.2's sample and mask.
func TestHeaderProtectionSample(t *testing.T) {
	k := InitialKeys(Version1, unhex(t, rfcDCID), false)
	mask := k.HeaderMask(unhex(t, "d1b1c98dd7689fb8ec11d242b123dc9b"))
	if got := hex.EncodeToString(mask[:5]); got != "437b9aec36" {
		t.Errorf("mask %s, want 437b9aec36", got)
	}
	// RFC 9369 A.2.
	k2 := InitialKeys(Version2, unhex(t, rfcDCID), false)
	mask = k2.HeaderMask(unhex(t, "ffe67b6abcdb4298b485dd04de806071"))
	if got := hex.EncodeToString(mask[:5]); got != "94a0c95e80" {
		t.Errorf("v2 mask %s, want 94a0c95e80", got)
	}
}

func TestOpenRFCPackets(t *testing.T) {
	dcid := unhex(t, rfcDCID)
	for _, tc := range []struct {
		file    string
		version uint32
		server  bool
		pn      uint64
		plain   string
		typ     int
	}{
		{"rfc9001-a2-client.hex", Version1, false, 2, rfcClientCrypto, TypeInitial},
		{"rfc9001-a3-server.hex", Version1, true, 1, rfcServerFrames, TypeInitial},
		{"rfc9369-a2-client.hex", Version2, false, 2, rfcClientCrypto, TypeInitial},
		{"rfc9369-a3-server.hex", Version2, true, 1, rfcServerFrames, TypeInitial},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pkt := readHex(t, tc.file)
			orig := append([]byte(nil), pkt...)
			h, err := ParseLongHeader(pkt)
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != tc.version || h.Type != tc.typ || h.Size != len(pkt) {
				t.Fatalf("header %+v", h)
			}
			k := InitialKeys(tc.version, dcid, tc.server)
			pn, plain, _, err := k.Open(nil, pkt, h.PNOffset)
			if err != nil {
				t.Fatal(err)
			}
			if pn != tc.pn {
				t.Errorf("pn %d, want %d", pn, tc.pn)
			}
			want := unhex(t, tc.plain)
			if !bytes.HasPrefix(plain, want) {
				t.Errorf("plaintext differs:\n%x", plain[:min(len(plain), len(want))])
			}
			for _, c := range plain[len(want):] {
				if c != 0 {
					t.Fatal("non-padding after the frames")
				}
			}
			if !bytes.Equal(pkt, orig) {
				t.Error("Open modified its input")
			}
			// The wrong direction's keys do not verify.
			if _, _, _, err := InitialKeys(tc.version, dcid, !tc.server).Open(nil, pkt, h.PNOffset); err == nil {
				t.Error("opened with the wrong keys")
			}
			// A flipped ciphertext bit does not verify.
			bad := append([]byte(nil), pkt...)
			bad[len(bad)-20] ^= 1
			if _, _, _, err := k.Open(nil, bad, h.PNOffset); err == nil {
				t.Error("opened a corrupted packet")
			}
		})
	}
}

type sink struct{ lines []string }

func (s *sink) Record(log string, line []byte) {
	s.lines = append(s.lines, log+" "+string(line))
}

func newTest() (*Analyzer, *sink) {
	s := &sink{}
	ci := &proto.ConnInfo{
		UID: "Ctest", TS: 1e9, Transport: 17,
		OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 50000,
		RespH: netip.MustParseAddr("10.0.0.2"), RespP: 443,
	}
	return New(ci, s), s
}

func decodeRecord(t *testing.T, line string) map[string]any {
	t.Helper()
	log, js, _ := strings.Cut(line, " ")
	if log != "quic" {
		t.Fatalf("log %q", log)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	return m
}

func TestAnalyzerRFCExchange(t *testing.T) {
	for _, v := range []struct {
		client, server, version string
	}{
		{"rfc9001-a2-client.hex", "rfc9001-a3-server.hex", "1"},
		{"rfc9369-a2-client.hex", "rfc9369-a3-server.hex", "quicv2"},
	} {
		a, s := newTest()
		a.Data(proto.FromOrig, 1e9, readHex(t, v.client))
		// The server's Initial coalesced with trailing zero padding (the
		// fixed bit is clear: Zeek's discarded packet).
		srv := append(readHex(t, v.server), make([]byte, 30)...)
		a.Data(proto.FromResp, 2e9, srv)
		a.Data(proto.FromOrig, 3e9, []byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
		if a.Service() != "quic,ssl" {
			t.Errorf("service %q", a.Service())
		}
		a.End(4e9)
		if len(s.lines) != 1 {
			t.Fatalf("%d records: %v", len(s.lines), s.lines)
		}
		m := decodeRecord(t, s.lines[0])
		want := map[string]any{
			"ts": 1.0, "uid": "Ctest", "version": v.version,
			"client_initial_dcid": rfcDCID, "client_scid": "", "server_scid": "f067a5502a4262b5",
			"server_name": "example.com", "client_protocol": "alpn", "history": "ISisxO",
		}
		for k, w := range want {
			if m[k] != w {
				t.Errorf("%s: %s = %v, want %v", v.version, k, m[k], w)
			}
		}
		ja4, _ := m["ja4"].(string)
		if !strings.HasPrefix(ja4, "q13d0") {
			t.Errorf("ja4 %q", ja4)
		}
	}
}

func TestAnalyzerRetryAndClose(t *testing.T) {
	a, s := newTest()
	// Retry from the server: logged at once with history R.
	retry := []byte{0xf0, 0, 0, 0, 1, 0, 4, 0xaa, 0xbb, 0xcc, 0xdd}
	retry = append(retry, []byte("token")...)
	retry = append(retry, make([]byte, 16)...)
	a.Data(proto.FromResp, 1e9, retry)
	if len(s.lines) != 1 || !strings.Contains(s.lines[0], `"history":"r"`) || !strings.Contains(s.lines[0], `"server_scid":"aabbccdd"`) {
		t.Fatalf("retry: %v", s.lines)
	}
	// Version negotiation (version 0): Zeek's unhandled version record.
	a2, s2 := newTest()
	a2.Data(proto.FromResp, 1e9, []byte{0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	a2.End(2e9)
	if len(s2.lines) != 1 || !strings.Contains(s2.lines[0], `"version":"unknown-0"`) || !strings.Contains(s2.lines[0], `"history":"u"`) {
		t.Fatalf("vn: %v", s2.lines)
	}
	// A violation disables the analyzer.
	a2.Data(proto.FromOrig, 3e9, readHex(t, "rfc9001-a2-client.hex"))
	a2.End(4e9)
	if len(s2.lines) != 1 {
		t.Fatalf("disabled analyzer wrote %v", s2.lines)
	}
}

func TestVersionName(t *testing.T) {
	for v, want := range map[uint32]string{
		Version1: "1", Version2: "quicv2", VersionDraft29: "draft-29", 0xff00001f: "draft-30",
		0xfaceb002: "mvfst (faceb002)", 0x10010000: "unknown-10010000", 0: "unknown-0",
	} {
		if got := VersionName(v); got != want {
			t.Errorf("%#x: %q, want %q", v, got, want)
		}
	}
}

func TestVarint(t *testing.T) {
	// RFC 9000 §A.1 examples.
	for in, want := range map[string]uint64{
		"c2197c5eff14e88c": 151288809941952652, "9d7f3e7d": 494878333, "7bbd": 15293, "25": 37, "4025": 37,
	} {
		v, n := Varint(unhex(t, in))
		if v != want || n != len(in)/2 {
			t.Errorf("%s: %d/%d", in, v, n)
		}
	}
	if _, n := Varint([]byte{0x80, 1}); n != 0 {
		t.Error("short varint accepted")
	}
}

func TestDetect(t *testing.T) {
	pkt := readHex(t, "rfc9001-a2-client.hex")
	if c := Detect(proto.FromOrig, pkt[:200], 4433, 17); c != proto.Sure {
		t.Errorf("initial: %v", c)
	}
	if c := Detect(proto.FromOrig, pkt[:200], 443, 6); c != proto.No {
		t.Errorf("tcp: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte{0x40, 1, 2}, 443, 17); c != proto.Maybe {
		t.Errorf("short on 443: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte{0x40, 1, 2}, 53, 17); c != proto.No {
		t.Errorf("short on 53: %v", c)
	}
}

// TestMalformed feeds truncations and corruptions of real packets: never a
// panic, and state stays bounded.
func TestMalformed(t *testing.T) {
	pkts := [][]byte{readHex(t, "rfc9001-a2-client.hex"), readHex(t, "rfc9001-a3-server.hex"),
		readHex(t, "rfc9369-a2-client.hex"), readHex(t, "rfc9369-a3-server.hex")}
	for _, p := range pkts {
		for n := 0; n <= len(p); n += 7 {
			a, _ := newTest()
			a.Data(proto.FromOrig, 1, p[:n])
			a.Data(proto.FromResp, 2, p[:n])
			a.End(3)
		}
		for i := 0; i < len(p); i += 5 {
			q := append([]byte(nil), p...)
			q[i] ^= 0x5a
			a, _ := newTest()
			a.Data(proto.FromOrig, 1, q)
			a.Data(proto.FromResp, 2, q)
			a.End(3)
		}
	}
	// Unbounded-looking fields: huge token and length varints, a CRYPTO
	// offset far beyond the bound.
	a, _ := newTest()
	a.Data(proto.FromOrig, 1, []byte{0xc0, 0, 0, 0, 1, 1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	a.Data(proto.FromOrig, 1, []byte{0xc0, 0, 0, 0, 1, 20, 1})
	a.End(2)
	s := &side{}
	a.crypto(true, s, 1<<40, []byte{1, 2, 3})
	a.crypto(true, s, maxCrypto-2, []byte{1, 2, 3, 4})
	for i := 0; i < 2*maxSpans; i++ {
		a.crypto(true, s, uint64(100+10*i), []byte{1})
	}
	if !s.broken || s.buf != nil {
		t.Error("span bound not enforced")
	}
}

// TestCryptoReassembly splits the RFC ClientHello across CRYPTO frames
// delivered out of order and overlapping.
func TestCryptoReassembly(t *testing.T) {
	frames := unhex(t, rfcClientCrypto)
	hello := frames[4:] // after type 06, offset 00, length 40f1
	a, _ := newTest()
	a.rec = &info{}
	s := &side{}
	a.crypto(true, s, 100, hello[100:])
	a.crypto(true, s, 50, hello[50:120])
	if s.finished {
		t.Fatal("finished early")
	}
	a.crypto(true, s, 0, hello[:60])
	if !s.finished || a.rec.sni != "example.com" || string(a.rec.history) != "S" {
		t.Fatalf("finished %v sni %q history %q", s.finished, a.rec.sni, a.rec.history)
	}
}

// TestSealedExchange: a ClientHello split over two Initial packets in two
// datagrams (the second first), then a server Initial that closes.
func TestSealedExchange(t *testing.T) {
	dcid := unhex(t, rfcDCID)
	hello := unhex(t, rfcClientCrypto)[4:] // the handshake message
	frame := func(off int, b []byte) []byte {
		f := []byte{0x06, 0x40 | byte(off>>8), byte(off), 0x40 | byte(len(b)>>8), byte(len(b))}
		return append(f, b...)
	}
	a, s := newTest()
	a.Data(proto.FromOrig, 1e9, sealInitial(Version1, false, dcid, dcid, []byte{9, 9}, 1, frame(100, hello[100:])))
	if a.client.finished {
		t.Fatal("finished early")
	}
	a.Data(proto.FromOrig, 2e9, sealInitial(Version1, false, dcid, dcid, []byte{9, 9}, 0, append([]byte{0x01}, frame(0, hello[:100])...)))
	// Server: ACK, then CONNECTION_CLOSE (0x1c: error 0x0a, frame type 6,
	// reason "no").
	close := []byte{0x02, 0x01, 0x00, 0x00, 0x00, 0x1c, 0x0a, 0x06, 0x02, 'n', 'o'}
	a.Data(proto.FromResp, 3e9, sealInitial(Version1, true, dcid, []byte{9, 9}, []byte{7, 7, 7}, 0, close))
	if len(s.lines) != 1 {
		t.Fatalf("records %v", s.lines)
	}
	m := decodeRecord(t, s.lines[0])
	if m["history"] != "IISic" || m["server_name"] != "example.com" || m["client_scid"] != "0909" || m["server_scid"] != "070707" {
		t.Errorf("record %v", m)
	}
	// After the close, a new record starts with the next packet.
	a.Data(proto.FromOrig, 4e9, sealInitial(Version1, false, dcid, dcid, []byte{9, 9}, 3, []byte{0x01}))
	a.End(5e9)
	if len(s.lines) != 2 || !strings.Contains(s.lines[1], `"history":"I"`) || !strings.Contains(s.lines[1], `"ts":4.0`) {
		t.Errorf("second record %v", s.lines[1:])
	}
}
