package smb

// The tests: smb_test.go has the sessions, malformed input, Detect and
// the fuzz target; logins_test.go more login shapes; resync_test.go a
// capture begun mid-message; the evasion_*_test.go files the ways a
// guesser could hide guesses from ntlm.log that session 14's reviews
// found (framing and NetBIOS flag bits, security blobs, AndX chains,
// message ids, mechanisms other than NTLM and their fallback), each
// fixed.

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = prototest.TCPConn("10.0.0.1", 50000, "10.0.0.2", 445)

// nb wraps an SMB message in a NetBIOS session message.
func nb(msg []byte) []byte {
	n := len(msg)
	return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, msg...)
}

func le16(b []byte, v int) []byte    { return binary.LittleEndian.AppendUint16(b, uint16(v)) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = le16(b, int(u))
	}
	return b
}

// smb2 builds an SMB2 SESSION_SETUP request (response false) or response
// with the given status and security blob.
func smb2(response bool, status uint32, blob []byte) []byte {
	h := []byte{0xFE, 'S', 'M', 'B'}
	h = le16(h, 64)
	h = le16(h, 1)
	h = le32(h, status)
	h = le16(h, smb2SessionSetup)
	h = le16(h, 1)
	var flags uint32
	if response {
		flags = smb2FlagResponse
	}
	h = le32(h, flags)
	h = append(h, make([]byte, 64-len(h))...)
	var body []byte
	if response {
		body = le16(body, 9)
		body = le16(body, 0)
		body = le16(body, 64+8)
		body = le16(body, len(blob))
	} else {
		body = le16(body, 25)
		body = append(body, 0, 1)
		body = le32(body, 0)
		body = le32(body, 0)
		body = le16(body, 64+24)
		body = le16(body, len(blob))
		body = append(body, make([]byte, 8)...)
	}
	return append(append(h, body...), blob...)
}

// spnego wraps an NTLMSSP message in a (simplified) SPNEGO token: the
// analyzer finds the message by its signature.
func spnego(m []byte) []byte {
	return append([]byte{0xa1, 0x82, 0x01, 0x00, 0x30, 0x82, 0x00, 0xfc, 0xa2, 0x82, 0x00, 0xf8, 0x04, 0x82, 0x00, 0xf4}, m...)
}

func negotiate() []byte { return le32(append([]byte("NTLMSSP\x00"), 1, 0, 0, 0), 0xe2088297) }

// challenge is a CHALLENGE naming the server in its target information.
func challenge(nbName, dnsName, tree string) []byte {
	var info []byte
	for _, av := range []struct {
		id int
		v  string
	}{{2, "LAB"}, {1, nbName}, {4, "lab.example"}, {3, dnsName}, {5, tree}} {
		v := utf16le(av.v)
		info = le16(le16(info, av.id), len(v))
		info = append(info, v...)
	}
	info = append(info, 0, 0, 0, 0)
	m := append([]byte("NTLMSSP\x00"), 2, 0, 0, 0)
	m = le16(le16(le32(m, 0), 0), 0)   // target name: empty
	m = le32(m, 0xe2898215)            // flags
	m = append(m, make([]byte, 16)...) // challenge, reserved
	m = le16(le16(m, len(info)), len(info))
	m = le32(m, 56)
	m = append(m, make([]byte, 8)...) // version
	return append(m, info...)
}

// authenticate is an AUTHENTICATE for domain\user from workstation.
func authenticate(domain, user, ws string, unicode bool) []byte {
	enc := func(s string) []byte {
		if unicode {
			return utf16le(s)
		}
		return []byte(s)
	}
	fields := [][]byte{make([]byte, 24), make([]byte, 24), enc(domain), enc(user), enc(ws), nil}
	m := append([]byte("NTLMSSP\x00"), 3, 0, 0, 0)
	off := 64
	for _, f := range fields {
		m = le16(le16(m, len(f)), len(f))
		m = le32(m, uint32(off))
		off += len(f)
	}
	flags := uint32(0xe2888215)
	if !unicode {
		flags &^= ntlmUnicode
	}
	m = le32(m, flags)
	for _, f := range fields {
		m = append(m, f...)
	}
	return m
}

// smb1Basic is an SMB1 SESSION_SETUP_ANDX request without extended
// security (NT LM 0.12): passwords, then account and primary domain.
func smb1Basic(user, domain string, unicode bool) []byte {
	h := []byte{0xFF, 'S', 'M', 'B', smb1SessionSetup, 0, 0, 0, 0, 0x18}
	flags2 := 0x0001
	if unicode {
		flags2 |= smb1Flags2Unicode
	}
	h = le16(h, flags2)
	h = append(h, make([]byte, 32-len(h))...)
	words := []byte{0xff, 0, 0, 0}
	words = le16(words, 4356)
	words = le16(words, 50)
	words = le16(words, 0)
	words = le32(words, 0)
	words = le16(words, 24) // OEM password
	words = le16(words, 24) // Unicode password
	words = le32(words, 0)
	words = le32(words, 0xd4)
	data := make([]byte, 48)
	if unicode {
		data = append(data, 0) // pad: the header, word count, words and byte count end odd
		data = append(append(data, utf16le(user)...), 0, 0)
		data = append(append(data, utf16le(domain)...), 0, 0)
	} else {
		data = append(append(data, user...), 0)
		data = append(append(data, domain...), 0)
	}
	m := append(h, 13)
	m = append(m, words...)
	m = le16(m, len(data))
	return append(m, data...)
}

// smb1Reply is an SMB1 SESSION_SETUP_ANDX reply with status (no words, as
// error replies are).
func smb1Reply(status uint32) []byte {
	h := []byte{0xFF, 'S', 'M', 'B', smb1SessionSetup}
	h = le32(h, status)
	h = append(h, 0x98)
	h = append(h, make([]byte, 32-len(h))...)
	return append(h, 0, 0, 0)
}

type step struct {
	dir  proto.Direction
	data []byte
}

const (
	statusLogonFailure = 0xC000006D
)

// guessing is two SMB2 logins on one connection: a refused one, then an
// accepted one.
var guessing = []step{
	{0, nb(smb2(false, 0, spnego(negotiate())))},
	{1, nb(smb2(true, statusMoreProcessing, spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))))},
	{0, nb(smb2(false, 0, spnego(authenticate("LAB", "administrator", "WS1", true))))},
	{1, nb(smb2(true, statusLogonFailure, nil))},
	{0, nb(smb2(false, 0, spnego(negotiate())))},
	{1, nb(smb2(true, statusMoreProcessing, spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))))},
	{0, nb(smb2(false, 0, spnego(authenticate("LAB", "alice", "WS1", true))))},
	{1, nb(smb2(true, statusSuccess, []byte{0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00}))},
}

func run(t testing.TB, steps []step, split int) ([]string, string) {
	out := &prototest.Sink{T: t, Log: "ntlm"}
	a := New(ci, out)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, st.data, split)
	}
	a.End(100e9)
	return out.Recs, a.Service()
}

// failures counts the records of refused logins.
func failures(got []string) int {
	n := 0
	for _, r := range got {
		if strings.Contains(r, `"success":false`) {
			n++
		}
	}
	return n
}

const hdr = `"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":50000,"id.resp_h":"10.0.0.2","id.resp_p":445`

func TestSessionSetups(t *testing.T) {
	server := `"server_nb_computer_name":"FILESRV","server_dns_computer_name":"filesrv.lab.example","server_tree_name":"lab.example"`
	for _, tc := range []struct {
		name  string
		steps []step
		want  []string
	}{
		{"smb2 refused then accepted", guessing, []string{
			`{"ts":1.0,` + hdr + `,"username":"administrator","hostname":"WS1","domainname":"LAB",` + server + `,"success":false}`,
			`{"ts":5.0,` + hdr + `,"username":"alice","hostname":"WS1","domainname":"LAB",` + server + `,"success":true}`,
		}},
		{"smb2 OEM strings", []step{
			{0, nb(smb2(false, 0, authenticate("LAB", "bob", "WS2", false)))},
			{1, nb(smb2(true, statusLogonFailure, nil))},
		}, []string{`{"ts":1.0,` + hdr + `,"username":"bob","hostname":"WS2","domainname":"LAB","success":false}`}},
		{"compounded with a tree connect", []step{
			{0, nb(append(padTo8(smb2next(smb2(false, 0, authenticate("LAB", "carol", "WS3", true)))), treeConnect()...))},
			{1, nb(smb2(true, statusSuccess, nil))},
		}, []string{`{"ts":1.0,` + hdr + `,"username":"carol","hostname":"WS3","domainname":"LAB","success":true}`}},
		{"guest", []step{
			{0, nb(smb2(false, 0, authenticate("LAB", "nobody", "WS9", true)))},
			{1, nb(func() []byte { m := smb2(true, statusSuccess, nil); m[66] = 1; return m }())},
		}, []string{`{"ts":1.0,` + hdr + `,"username":"nobody","hostname":"WS9","domainname":"LAB","success":true,"guest":true}`}},
		{"out of order, by message and session id", []step{
			{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), 2, 0))},
			{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), 3, 0))},
			{1, nb(withIDs(smb2(true, statusMoreProcessing, spnego(challenge("B", "b.lab", "lab"))), 3, 0x30))},
			{1, nb(withIDs(smb2(true, statusMoreProcessing, spnego(challenge("A", "a.lab", "lab"))), 2, 0x20))},
			{0, nb(withIDs(smb2(false, 0, spnego(authenticate("LAB", "bob", "WS1", true))), 4, 0x30))},
			{0, nb(withIDs(smb2(false, 0, spnego(authenticate("LAB", "ann", "WS1", true))), 5, 0x20))},
			{1, nb(withIDs(smb2(true, statusSuccess, nil), 5, 0x20))},
			{1, nb(withIDs(smb2(true, statusLogonFailure, nil), 4, 0x30))},
		}, []string{
			`{"ts":1.0,` + hdr + `,"username":"ann","hostname":"WS1","domainname":"LAB","server_nb_computer_name":"A","server_dns_computer_name":"a.lab","server_tree_name":"lab","success":true}`,
			`{"ts":2.0,` + hdr + `,"username":"bob","hostname":"WS1","domainname":"LAB","server_nb_computer_name":"B","server_dns_computer_name":"b.lab","server_tree_name":"lab","success":false}`,
		}},
		{"smb1 without extended security, unicode", []step{
			{0, nb(smb1Basic("root", "WORKGROUP", true))},
			{1, nb(smb1Reply(statusLogonFailure))},
			{0, nb(smb1Basic("guest", "", true))},
			{1, nb(smb1Reply(statusSuccess))},
		}, []string{
			`{"ts":1.0,` + hdr + `,"username":"root","domainname":"WORKGROUP","success":false}`,
			`{"ts":3.0,` + hdr + `,"username":"guest","success":true}`,
		}},
		{"smb1 without extended security, OEM", []step{
			{0, nb(smb1Basic("admin", "WG", false))},
			{1, nb(smb1Reply(statusLogonFailure))},
		}, []string{`{"ts":1.0,` + hdr + `,"username":"admin","domainname":"WG","success":false}`}},
		{"no verdict before the end", []step{
			{0, nb(smb2(false, 0, spnego(negotiate())))},
			{1, nb(smb2(true, statusMoreProcessing, spnego(challenge("NAS", "nas.lab.example", "lab.example"))))},
			{0, nb(smb2(false, 0, spnego(authenticate("LAB", "dave", "WS4", true))))},
		}, []string{`{"ts":1.0,` + hdr + `,"username":"dave","hostname":"WS4","domainname":"LAB","server_nb_computer_name":"NAS","server_dns_computer_name":"nas.lab.example","server_tree_name":"lab.example"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for split := 0; split < 40; split++ {
				got, service := run(t, tc.steps, split)
				if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || service != "smb" {
					t.Fatalf("split %d: service %q, got\n%s\nwant\n%s", split, service, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
			}
		})
	}
}

// smb2next sets a message's NextCommand to its length padded to 8 bytes.
func smb2next(m []byte) []byte {
	binary.LittleEndian.PutUint32(m[20:], uint32((len(m)+7)&^7))
	return m
}

// withIDs sets an SMB2 message's MessageId and SessionId.
func withIDs(m []byte, mid, sid uint64) []byte {
	binary.LittleEndian.PutUint64(m[24:], mid)
	binary.LittleEndian.PutUint64(m[40:], sid)
	return m
}

// treeConnect is an SMB2 TREE_CONNECT request header (its body does not
// matter here).
func treeConnect() []byte {
	m := smb2(false, 0, nil)
	binary.LittleEndian.PutUint16(m[12:], 3)
	return m
}

func padTo8(m []byte) []byte {
	for len(m)%8 != 0 {
		m = append(m, 0)
	}
	return m
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"not netbios", []step{{0, []byte("GET / HTTP/1.1\r\n\r\n")}}},
		{"field offsets past the message", []step{{0, nb(smb2(false, 0, func() []byte {
			m := authenticate("LAB", "eve", "WS", true)
			binary.LittleEndian.PutUint32(m[40:], 0xfffffff0) // user name's offset
			return m
		}()))}}},
		{"truncated session setup", []step{{0, nb(smb2(false, 0, negotiate())[:70])}}},
		{"blob offset inside the header", []step{{0, nb(func() []byte {
			m := smb2(false, 0, authenticate("LAB", "eve", "WS", true))
			binary.LittleEndian.PutUint16(m[64+12:], 10)
			return m
		}())}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := run(t, tc.steps, 0)
			for _, r := range got {
				if strings.Contains(r, `"username":"eve"`) || strings.Contains(r, `"username":"root"`) {
					t.Fatalf("record from a malformed message: %s", r)
				}
			}
		})
	}
	// A long session setup is kept up to MaxKeep bytes, another message
	// (a file read, say) only its header's first bytes. SMB1 messages
	// have 17-bit lengths (at most 128 KiB), SMB2 ones 24-bit.
	a := New(ci, &prototest.Sink{T: t, Log: "ntlm"})
	for _, tc := range []struct {
		head []byte
		keep int
	}{{smb2(false, 0, nil), MaxKeep}, {smb1Reply(0)[:20], peekLen}} {
		n := 1 << 20
		if tc.head[0] == 0xFF {
			tc.head[4] = 0x2e // SMB1 READ_ANDX
			n = 0x1FFFF
		}
		a.Data(1, 1, []byte{0, byte(n >> 16), byte(n >> 8), byte(n)})
		a.Data(1, 1, tc.head)
		a.Data(1, 1, make([]byte, n-len(tc.head)))
		if a.sides[1].nh != 0 || len(a.sides[1].msg) != tc.keep {
			t.Fatalf("message % x: finished %v, kept %d bytes, want %d", tc.head[:8], a.sides[1].nh == 0, len(a.sides[1].msg), tc.keep)
		}
	}
	// A gap ends the analysis: framing is lost.
	a.Gap(0, 10)
	a.Data(0, 2, guessing[0].data)
	if len(a.atts) != 0 {
		t.Fatal("analysed after a gap")
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		first []byte
		port  uint16
		want  proto.Confidence
	}{
		{guessing[0].data, 8445, proto.Sure},
		{nb(smb1Basic("a", "b", false)), 445, proto.Sure},
		{[]byte{0x81, 0, 0, 0x44, 0x20}, 139, proto.Likely},
		{[]byte{0, 0, 0, 0x44, 0x20}, 445, proto.Maybe},
		{[]byte("GET / HTTP/1.1\r\n"), 445, proto.Maybe}, // file data picked up mid-stream can look so
		{[]byte{0x86, 0, 0, 0}, 445, proto.Maybe},
		{[]byte{0x16, 3, 1, 0, 0xa5, 1, 0, 0, 0xa1}, 445, proto.No},
		{[]byte{0, 0, 0, 0x44, 0x20}, 80, proto.No},
	} {
		if got := Detect(0, tc.first, tc.port, 6); got != tc.want {
			t.Errorf("Detect(% x, %d) = %v, want %v", tc.first[:min(8, len(tc.first))], tc.port, got, tc.want)
		}
	}
}

func seedInput(steps []step) []byte {
	var in []byte
	for _, st := range steps {
		in = prototest.AppendPieces(in, st.dir, st.data)
	}
	return in
}

var seedSMB1 = []step{{0, nb(smb1Basic("root", "WORKGROUP", true))}, {1, nb(smb1Reply(statusLogonFailure))}}

// TestSeedCorpus writes testdata/fuzz/FuzzSMB when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzSMB", map[string][]byte{"smb2": seedInput(guessing), "smb1": seedInput(seedSMB1)})
}

// FuzzSMB feeds pieces (see prototest.Replay): records are JSON (the
// sink checks), the kept message stays within MaxKeep.
func FuzzSMB(f *testing.F) {
	f.Add(seedInput(guessing))
	f.Add(seedInput(seedSMB1))
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t, Log: "ntlm"})
		prototest.Replay(a, in, 1, 1, func(int) {
			for i := range a.sides {
				if len(a.sides[i].msg) > MaxKeep {
					t.Fatalf("kept %d bytes", len(a.sides[i].msg))
				}
			}
		})
		a.End(0)
	})
}
