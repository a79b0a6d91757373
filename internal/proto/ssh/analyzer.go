package ssh

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Side states.
const (
	stBanner    uint8 = iota // looking for the identification line
	stPackets                // cleartext binary packets (SSH-2)
	stEncrypted              // after NEWKEYS: only segment sizes count
	stDead                   // nothing more is parsed
)

// SSH-2 message numbers.
const (
	msgKexInit   = 20
	msgNewKeys   = 21
	msgKexReply  = 31 // KEXDH_REPLY, KEX_ECDH_REPLY …; GEX_GROUP under group exchange
	msgGexReply  = 33
	numNameLists = 10
)

// kexInit holds the ten name-lists of one side's SSH_MSG_KEXINIT, in
// protocol order: kex, host key, enc c2s, enc s2c, mac c2s, mac s2c,
// compression c2s, compression s2c, languages c2s, languages s2c.
type kexInit struct {
	lists [numNameLists]string // substrings of one copy of the message
}

type side struct {
	st       uint8
	line     proto.LineBuffer // the identification line being assembled (≤ MaxLine)
	preLines int              // lines skipped before the identification
	pkt      []byte           // the cleartext packet being assembled (≤ MaxPacket)
	banner   string
	hasBan   bool
	kex      kexInit // the side's first KEXINIT, once hasKex
	hasKex   bool
}

// Analyzer is the SSH analyzer of one connection; it implements
// proto.Analyzer and proto.Finisher.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	sides [2]side

	started bool
	ts      int64 // when the session was first seen (Zeek's info$ts)
	logged  bool

	// Negotiated algorithms (set once both KEXINITs are seen).
	algs                        bool
	cipher, mac, comp, kex, hka string
	hassh, hasshServer          string
	hostKeyMD5, hostKeySHA      string

	authSet       bool
	authSuccess   bool
	authAttempts  int
	authDecided   bool
	sawEncClient  bool
	serviceAccept int
	failureSize   int
	skippedBanner bool

	gap bool // a gap: Zeek stops parsing the connection

	buf []byte
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// maxReusedPkt bounds the packet buffer a side keeps once its packets are
// encrypted, and that a reused analyzer keeps.
const maxReusedPkt = 4096

// Reuse implements proto.Reuser: the analyzer, ended, becomes what New
// returns for ci and out, keeping its (small) packet and record buffers.
func (a *Analyzer) Reuse(ci *proto.ConnInfo, out proto.Sink) {
	var sides [2]side
	for i := range sides {
		sides[i].pkt = proto.ReuseBuf(a.sides[i].pkt, maxReusedPkt)
	}
	*a = Analyzer{ci: ci, out: out, sides: sides, buf: record.ReuseLine(a.buf)}
}

// Service implements proto.Analyzer: "ssh" once an identification line
// has been seen.
func (a *Analyzer) Service() string {
	if a.sides[0].hasBan || a.sides[1].hasBan {
		return "ssh"
	}
	return ""
}

// Finished implements proto.Finisher: once the authentication outcome is
// decided (or both sides can say nothing more) no more bytes are needed.
func (a *Analyzer) Finished() bool {
	if a.authDecided || a.gap {
		return true
	}
	return a.sides[0].st == stDead && a.sides[1].st == stDead
}

// Gap implements proto.Analyzer: like Zeek, a gap ends the analysis.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	if n > 0 {
		a.gap = true
	}
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	if a.gap || len(data) == 0 {
		return
	}
	s := &a.sides[dir]
	if s.st == stEncrypted {
		a.encrypted(dir, len(data))
		return
	}
	for len(data) > 0 {
		switch s.st {
		case stDead:
			return
		case stEncrypted:
			a.encrypted(dir, len(data))
			return
		case stBanner:
			data = a.bannerData(dir, ts, data)
		case stPackets:
			data = a.packetData(dir, data)
		}
	}
}

// bannerData consumes bytes of the identification phase and returns the
// rest.
func (a *Analyzer) bannerData(dir proto.Direction, ts int64, data []byte) []byte {
	s := &a.sides[dir]
	line, rest, ok := s.line.NextLF(data, MaxLine)
	if !ok {
		return nil
	}
	if len(line) < 4 || string(line[:4]) != "SSH-" {
		s.preLines++
		if s.preLines > MaxPreBanner {
			s.st = stDead
		}
		return rest
	}
	s.banner = string(line)
	s.hasBan = true
	s.line.Release()
	if !a.started {
		a.started = true
		a.ts = ts
	}
	switch a.parseVersion() {
	case 2, -2:
		s.st = stPackets
	case 0:
		s.st = stDead
	default:
		// SSH-1 or not yet known: nothing more is parsed on this side
		// unless the other banner says SSH-2 (see parseVersion).
		s.st = stPackets
	}
	return rest
}

// logVersion is Zeek's SSH::set_version: the version logged once both
// identification strings are known (0 for an SSH-1/SSH-2 mismatch); ok is
// false while one is missing.
func (a *Analyzer) logVersion() (v int, ok bool) {
	c, srv := a.sides[0].banner, a.sides[1].banner
	if !a.sides[0].hasBan || !a.sides[1].hasBan || len(c) <= 4 || len(srv) <= 4 {
		return 0, false
	}
	is199 := func(s string) bool { return len(s) > 7 && s[6] == '9' && s[7] == '9' }
	switch {
	case c[4] == '1' && srv[4] == '2':
		if is199(c) {
			return 2, true
		}
		return 0, true
	case c[4] == '2' && srv[4] == '1':
		if is199(srv) {
			return 2, true
		}
		return 0, true
	case c[4] == '1' && srv[4] == '1':
		if is199(srv) && is199(c) {
			return 2, true
		}
		return 1, true
	case c[4] == '2' && srv[4] == '2':
		return 2, true
	}
	return 0, false
}

// parseVersion says how the binary protocol is parsed: 2 (SSH-2), 1
// (SSH-1: not parsed), 0 (mismatch: not parsed), -2 (only one side known
// and it speaks SSH-2 or 1.99).
func (a *Analyzer) parseVersion() int {
	if v, ok := a.logVersion(); ok {
		return v
	}
	for i := range a.sides {
		b := a.sides[i].banner
		if a.sides[i].hasBan && len(b) > 4 {
			if b[4] == '2' || (len(b) > 7 && b[4] == '1' && b[6] == '9' && b[7] == '9') {
				return -2
			}
			return 1
		}
	}
	return 1
}

// packetData consumes cleartext binary packets and returns the rest.
func (a *Analyzer) packetData(dir proto.Direction, data []byte) []byte {
	s := &a.sides[dir]
	if v := a.parseVersion(); v != 2 && v != -2 {
		s.st = stDead
		return nil
	}
	for len(data) > 0 && s.st == stPackets {
		if len(s.pkt) < 5 {
			n := min(5-len(s.pkt), len(data))
			s.pkt = append(s.pkt, data[:n]...)
			data = data[n:]
			if len(s.pkt) < 5 {
				return nil
			}
		}
		plen := binary.BigEndian.Uint32(s.pkt[:4])
		if plen < 1 || plen > MaxPacket-4 {
			s.st = stDead
			s.pkt = nil
			return nil
		}
		total := int(plen) + 4
		if cap(s.pkt) < total {
			// Room for the whole packet at once.
			s.pkt = append(make([]byte, 0, total), s.pkt...)
		}
		n := min(total-len(s.pkt), len(data))
		s.pkt = append(s.pkt, data[:n]...)
		data = data[n:]
		if len(s.pkt) < total {
			return nil
		}
		a.packet(dir, s.pkt)
		s.pkt = s.pkt[:0]
	}
	if s.st == stEncrypted && len(data) > 0 {
		// Encrypted bytes in the segment that carried NEWKEYS.
		a.encrypted(dir, len(data))
	}
	if s.st == stEncrypted {
		// No more cleartext packets: only a small buffer is kept.
		s.pkt = proto.ReuseBuf(s.pkt, maxReusedPkt)
	}
	return nil
}

// packet handles one whole cleartext packet (length field included).
func (a *Analyzer) packet(dir proto.Direction, p []byte) {
	padLen := int(p[4])
	body := p[5:]
	if padLen > len(body) {
		return
	}
	payload := body[:len(body)-padLen]
	if len(payload) == 0 {
		return
	}
	switch payload[0] {
	case msgKexInit:
		a.kexInit(dir, payload[1:])
	case msgNewKeys:
		a.sides[dir].st = stEncrypted
	case msgKexReply, msgGexReply:
		if dir == proto.FromResp {
			a.kexReply(payload[0], payload[1:])
		}
	}
}

// readString reads an SSH string (uint32 length, bytes).
func readString(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

func (a *Analyzer) kexInit(dir proto.Direction, b []byte) {
	s := &a.sides[dir]
	if s.hasKex || len(b) < 16 {
		return // only the first KEXINIT of a side counts (Zeek)
	}
	b = b[16:] // cookie
	// The lists' bounds first, then one copy of the bytes they span.
	var ends [numNameLists][2]int
	at := 0
	for i := range ends {
		v, _, ok := readString(b[at:])
		if !ok {
			return
		}
		ends[i] = [2]int{at + 4, at + 4 + len(v)}
		at = ends[i][1]
	}
	all := string(b[:at])
	for i, e := range ends {
		s.kex.lists[i] = all[e[0]:e[1]]
	}
	s.hasKex = true
	if !a.sides[0].hasKex || !a.sides[1].hasKex {
		return
	}
	c, srv := &a.sides[0].kex, &a.sides[1].kex
	a.algs = true
	a.cipher = bidirAlg(c, srv, 2)
	a.mac = bidirAlg(c, srv, 4)
	a.comp = bidirAlg(c, srv, 6)
	a.kex = findAlg(c.lists[0], srv.lists[0])
	a.hka = findAlg(c.lists[1], srv.lists[1])
}

// appendHassh appends to b the HASSH of a KEXINIT's algorithms in hex:
// the MD5 of "kex;enc;mac;cmp" with the client-to-server lists (server
// false) or the server-to-client lists (server true).
func appendHassh(b []byte, k *kexInit, server bool) []byte {
	o := 0
	if server {
		o = 1
	}
	var buf [1024]byte
	s := append(buf[:0], k.lists[0]...)
	for _, l := range [...]string{k.lists[2+o], k.lists[4+o], k.lists[6+o]} {
		s = append(s, ';')
		s = append(s, l...)
	}
	h := md5.Sum(s)
	return hex.AppendEncode(b, h[:])
}

// findAlg is Zeek's SSH::find_alg: the first client algorithm the server
// also offers.
func findAlg(client, server string) string {
	for c := range strings.SplitSeq(client, ",") {
		for s := range strings.SplitSeq(server, ",") {
			if c == s {
				return c
			}
		}
	}
	return "Algorithm negotiation failed"
}

// bidirAlg is Zeek's SSH::find_bidirectional_alg for the list pair at i
// (client-to-server) and i+1 (server-to-client).
func bidirAlg(c, s *kexInit, i int) string {
	cs := findAlg(c.lists[i], s.lists[i])
	sc := findAlg(c.lists[i+1], s.lists[i+1])
	if cs == sc {
		return cs
	}
	return "To server: " + cs + ", to client: " + sc
}

// kexReply looks for the server host key K_S, the first string of the
// key exchange reply (message 31, or 33 under Diffie-Hellman group
// exchange, where 31 carries the group instead).
func (a *Analyzer) kexReply(msg byte, b []byte) {
	if _, ok := a.logVersion(); a.hostKeyMD5 != "" || !ok {
		return // like Zeek, nothing is parsed without both banners
	}
	gex := strings.HasPrefix(a.kex, "diffie-hellman-group-exchange")
	switch {
	case a.algs && strings.HasPrefix(a.kex, "gss-"):
		return
	case a.algs && gex && msg != msgGexReply, a.algs && !gex && msg != msgKexReply:
		return
	}
	key, _, ok := readString(b)
	if !ok || len(key) == 0 {
		return
	}
	if !a.algs {
		// The key exchange method is unknown: accept only what looks
		// like a public key blob (it starts with its algorithm name).
		name, _, ok := readString(key)
		if !ok || len(name) == 0 || len(name) > 64 {
			return
		}
		for _, c := range name {
			if c <= ' ' || c >= 0x7f {
				return
			}
		}
	}
	a.hostKeyMD5 = md5Colons(key)
	h := sha256.Sum256(key)
	var buf [64]byte
	a.hostKeySHA = string(base64.RawStdEncoding.AppendEncode(append(buf[:0], "SHA256:"...), h[:]))
}

// md5Colons returns the MD5 of b as colon-separated lower-case hex pairs.
func md5Colons(b []byte) string {
	const hx = "0123456789abcdef"
	m := md5.Sum(b)
	var out [3*md5.Size - 1]byte
	for i, c := range m {
		if i > 0 {
			out[3*i-1] = ':'
		}
		out[3*i], out[3*i+1] = hx[c>>4], hx[c&15]
	}
	return string(out[:])
}

// compression algorithms under which Zeek does not guess the
// authentication outcome.
func compressed(alg string) bool { return alg == "zlib" || alg == "zlib@openssh.com" }

// encrypted is Zeek's SSH_Analyzer::ProcessEncrypted: the size of an
// encrypted segment of dir, used to guess the authentication outcome.
func (a *Analyzer) encrypted(dir proto.Direction, n int) {
	if a.authDecided {
		return
	}
	if v, ok := a.logVersion(); !ok || v != 2 {
		return
	}
	if dir == proto.FromOrig {
		a.sawEncClient = true
		return
	}
	if !a.sawEncClient {
		return
	}
	if a.serviceAccept == 0 {
		a.serviceAccept = n
		return
	}
	if a.failureSize == 0 && n+16 == a.serviceAccept {
		a.authDecided = true
		a.authAttempted(true)
		return
	}
	if a.failureSize == 0 {
		if !a.skippedBanner && n-a.serviceAccept > 256 {
			a.skippedBanner = true
			return
		}
		a.failureSize = n
		return
	}
	if n == a.failureSize {
		a.authAttempted(false)
		return
	}
	if n-a.serviceAccept == -16 {
		a.authDecided = true
		a.authAttempted(true)
	}
}

// authAttempted is the ssh_auth_attempted event handler of main.zeek.
func (a *Analyzer) authAttempted(ok bool) {
	if a.authSet && a.authSuccess {
		return
	}
	if compressed(a.comp) {
		return
	}
	a.authSet = true
	a.authSuccess = ok
	a.authAttempts++
	if ok && !a.logged {
		a.write()
	}
}

// End implements proto.Analyzer: the record is written unless it was
// when authentication succeeded.
func (a *Analyzer) End(ts int64) {
	if !a.logged && a.started {
		a.write()
	}
}
