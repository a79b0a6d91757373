package ssh

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = &proto.ConnInfo{UID: "C1", OrigH: netip.MustParseAddr("192.168.1.5"), OrigP: 50000,
	RespH: netip.MustParseAddr("198.51.200.7"), RespP: 22, Transport: 6}

func sshString(s string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(s)))
	return append(b, s...)
}

// packet frames payload as a cleartext SSH-2 binary packet.
func packet(payload []byte) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	b = append(b, byte(pad))
	b = append(b, payload...)
	return append(b, make([]byte, pad)...)
}

func kexinit(lists ...string) []byte {
	p := append([]byte{msgKexInit}, make([]byte, 16)...)
	for _, l := range lists {
		p = append(p, sshString(l)...)
	}
	return packet(append(p, 0, 0, 0, 0, 0))
}

type step struct {
	dir  proto.Direction
	data []byte
}

func session() []step {
	cl := kexinit("curve25519-sha256,ecdh-sha2-nistp256", "ssh-ed25519,rsa-sha2-512",
		"aes128-ctr,aes256-ctr", "aes128-ctr,aes256-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", "")
	sv := kexinit("ecdh-sha2-nistp256,curve25519-sha256", "rsa-sha2-512,ssh-ed25519",
		"aes256-ctr,aes128-ctr", "aes256-ctr", "hmac-sha2-256", "hmac-sha2-256", "none,zlib", "none", "", "")
	key := append(sshString("ssh-ed25519"), sshString(strings.Repeat("k", 32))...)
	reply := packet(append(append([]byte{msgKexReply}, sshString(string(key))...), sshString("Q")...))
	newkeys := packet([]byte{msgNewKeys})
	return []step{
		{proto.FromResp, []byte("SSH-2.0-OpenSSH_9.6\r\n")},
		{proto.FromOrig, []byte("SSH-2.0-OpenSSH_9.7\r\n")},
		{proto.FromOrig, cl},
		{proto.FromResp, sv},
		{proto.FromOrig, packet(append([]byte{30}, sshString("E")...))},
		{proto.FromResp, append(reply, newkeys...)},
		{proto.FromOrig, newkeys},
		{proto.FromOrig, make([]byte, 44)},  // service request
		{proto.FromResp, make([]byte, 44)},  // service accept
		{proto.FromOrig, make([]byte, 100)}, // auth request
		{proto.FromResp, make([]byte, 60)},  // failure: its size is learnt
		{proto.FromOrig, make([]byte, 100)},
		{proto.FromResp, make([]byte, 60)}, // failure
		{proto.FromOrig, make([]byte, 100)},
		{proto.FromResp, make([]byte, 28)}, // success: 16 less than the accept
	}
}

func run(t testing.TB, steps []step, split int) []string {
	s := &prototest.Sink{T: t}
	a := New(ci, s)
	for i, st := range steps {
		d := st.data
		if split > 0 {
			// Splitting changes segment sizes; only cleartext is split.
			if a.sides[st.dir].st == stEncrypted {
				a.Data(st.dir, int64(i+1), d)
				continue
			}
		}
		prototest.Feed(a, st.dir, int64(i+1)*1e9, d, split)
	}
	a.End(1e12)
	return s.Recs
}

func TestSession(t *testing.T) {
	recs := run(t, session(), 0)
	if len(recs) != 1 {
		t.Fatalf("%d records: %v", len(recs), recs)
	}
	for _, w := range []string{
		`"version":2,"auth_success":true,"auth_attempts":2,"direction":"OUTBOUND","client":"SSH-2.0-OpenSSH_9.7","server":"SSH-2.0-OpenSSH_9.6"`,
		`"cipher_alg":"To server: aes128-ctr, to client: aes256-ctr","mac_alg":"hmac-sha2-256","compression_alg":"none","kex_alg":"curve25519-sha256","host_key_alg":"ssh-ed25519"`,
		`"host_key_fingerprint":"SHA256:`, `"hassh":"`, `"hasshServer":"`,
	} {
		if !strings.Contains(recs[0], w) {
			t.Errorf("missing %s in %s", w, recs[0])
		}
	}
}

func TestEverySplit(t *testing.T) {
	whole := strings.Join(run(t, session(), 0), "\n")
	for n := 1; n < 300; n++ {
		if got := strings.Join(run(t, session(), n), "\n"); got != whole {
			t.Fatalf("split %d:\n%s\nwant\n%s", n, got, whole)
		}
	}
}

func TestBidirectional(t *testing.T) {
	c := &kexInit{lists: [10]string{"a", "h", "x,y", "y", "m", "m", "none", "none"}}
	s := &kexInit{lists: [10]string{"a", "h", "y,x", "y", "m", "n", "none", "none"}}
	if got := bidirAlg(c, s, 2); got != "To server: x, to client: y" {
		t.Error(got)
	}
	if got := bidirAlg(c, s, 4); got != "To server: m, to client: Algorithm negotiation failed" {
		t.Error(got)
	}
}

func TestVersion(t *testing.T) {
	for _, c := range []struct {
		cl, sv string
		v      int
	}{
		{"SSH-1.99-a", "SSH-2.0-b", 2}, {"SSH-1.5-a", "SSH-2.0-b", 0}, {"SSH-2.0-a", "SSH-1.99-b", 2},
		{"SSH-1.5-a", "SSH-1.99-b", 1}, {"SSH-1.99-a", "SSH-1.99-b", 2}, {"SSH-1.5-a", "SSH-1.5-b", 1},
	} {
		a := New(ci, nil)
		a.Data(proto.FromOrig, 1, []byte(c.cl+"\n"))
		a.Data(proto.FromResp, 1, []byte(c.sv+"\n"))
		if v, ok := a.logVersion(); !ok || v != c.v {
			t.Errorf("%s/%s: %d", c.cl, c.sv, v)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range [][]byte{
		[]byte("SSH-2.0-x\r\n\xff\xff\xff\xff\x05"),
		[]byte("SSH-2.0-x\r\n\x00\x00\x00\x00"),
		append([]byte("SSH-2.0-x\r\n"), packet([]byte{msgKexInit, 1, 2})...),
		append([]byte("SSH-2.0-x\r\n"), packet([]byte{msgKexReply, 0xff, 0xff, 0xff, 0xff})...),
		[]byte(strings.Repeat("junk line\n", MaxPreBanner+5) + "SSH-2.0-late\n"),
		[]byte(strings.Repeat("x", 10*MaxLine)),
	} {
		s := &prototest.Sink{T: t}
		a := New(ci, s)
		a.Data(proto.FromResp, 1, in)
		a.Data(proto.FromOrig, 1, in)
		a.End(2)
		if a.sides[0].line.Len() > MaxLine || len(a.sides[0].pkt) > MaxPacket {
			t.Fatal("bound broken")
		}
	}
}

func TestDetect(t *testing.T) {
	if Detect(proto.FromResp, []byte("SSH-2.0-OpenSSH\r\n"), 2222, 6) != proto.Sure {
		t.Error("banner")
	}
	if Detect(proto.FromResp, []byte("hello"), 2222, 6) != proto.No || Detect(proto.FromResp, []byte("hello"), 22, 6) != proto.Maybe {
		t.Error("port")
	}
}

// FuzzSSH feeds pieces: a control byte (bit 7 responder, bit 6 gap, low
// 6 bits length) then the piece.
func FuzzSSH(f *testing.F) {
	var in []byte
	for _, s := range session() {
		in = prototest.AppendPieces(in, s.dir, s.data)
	}
	f.Add(in)
	f.Fuzz(func(t *testing.T, in []byte) {
		feed := func(an proto.Analyzer) { feedPieces(t, an.(*Analyzer), in) }
		a := New(ci, &prototest.Sink{T: t})
		feed(a)
		// a, ended, serves another connection as a new analyzer does.
		prototest.CheckReuse(t, a, ci, func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		}, feed)
	})
}

// feedPieces hands a the pieces of in (FuzzSSH's format), checking the
// buffer bounds after each, then ends it.
func feedPieces(t *testing.T, a *Analyzer, in []byte) {
	for len(in) > 0 {
		c := in[0]
		in = in[1:]
		dir := proto.Direction(c >> 7)
		n := int(c & 63)
		if c&64 != 0 && n == 63 {
			a.Gap(dir, n)
			continue
		}
		n = min(n, len(in))
		a.Data(dir, 1, in[:n])
		in = in[n:]
		if a.sides[0].line.Len() > MaxLine || a.sides[1].line.Len() > MaxLine ||
			len(a.sides[0].pkt) > MaxPacket || len(a.sides[1].pkt) > MaxPacket {
			t.Fatal("bound broken")
		}
	}
	a.End(2)
}
