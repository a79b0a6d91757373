package dns

import (
	"encoding/binary"
	"strings"
	"testing"
)

// msgBuilder builds DNS messages by hand.
type msgBuilder struct{ b []byte }

func newMsg(id, flags, qd, an, ns, ar uint16) *msgBuilder {
	m := &msgBuilder{}
	for _, v := range []uint16{id, flags, qd, an, ns, ar} {
		m.b = binary.BigEndian.AppendUint16(m.b, v)
	}
	return m
}

// name appends an uncompressed name ("" is the root).
func (m *msgBuilder) name(n string) *msgBuilder {
	if n != "" {
		for _, l := range strings.Split(n, ".") {
			m.b = append(m.b, byte(len(l)))
			m.b = append(m.b, l...)
		}
	}
	m.b = append(m.b, 0)
	return m
}

func (m *msgBuilder) ptr(off int) *msgBuilder {
	m.b = append(m.b, 0xc0|byte(off>>8), byte(off))
	return m
}

func (m *msgBuilder) raw(b ...byte) *msgBuilder { m.b = append(m.b, b...); return m }

func (m *msgBuilder) u16(v uint16) *msgBuilder { m.b = binary.BigEndian.AppendUint16(m.b, v); return m }

func (m *msgBuilder) u32(v uint32) *msgBuilder { m.b = binary.BigEndian.AppendUint32(m.b, v); return m }

func (m *msgBuilder) question(n string, typ, class uint16) *msgBuilder {
	return m.name(n).u16(typ).u16(class)
}

// rr appends a record whose owner is a pointer to the first question.
func (m *msgBuilder) rr(typ uint16, ttl uint32, rdata []byte) *msgBuilder {
	m.ptr(12).u16(typ).u16(1).u32(ttl).u16(uint16(len(rdata)))
	m.b = append(m.b, rdata...)
	return m
}

func enc(n string) []byte { return (&msgBuilder{}).name(n).b }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func answers(m *Message) []string {
	var out []string
	for _, r := range m.Records {
		if r.Section == Answer && r.Reply && len(r.Text) > 0 {
			out = append(out, string(r.Text))
		}
	}
	return out
}

func TestParseRRTypes(t *testing.T) {
	cases := []struct {
		name  string
		typ   uint16
		rdata []byte
		want  string // "" for no answer string
		ok    bool
	}{
		{"A", TypeA, []byte{192, 0, 2, 1}, "192.0.2.1", true},
		{"A bad length", TypeA, []byte{192, 0, 2}, "", false},
		{"AAAA", TypeAAAA, []byte{0x20, 1, 0xd, 0xb8, 15: 1}, "2001:db8::1", true},
		{"AAAA short", TypeAAAA, []byte{1, 2, 3}, "", false},
		{"CNAME", TypeCNAME, enc("Target.Example.COM"), "target.example.com", true},
		{"NS", TypeNS, enc("ns1.example.com"), "ns1.example.com", true},
		{"PTR", TypePTR, enc("host.example"), "host.example", true},
		{"MX", TypeMX, cat(be16(10), enc("mail.example.com")), "mail.example.com", true},
		{"TXT one", TypeTXT, []byte("\x05hello"), "TXT 5 hello", true},
		{"TXT two", TypeTXT, []byte("\x01a\x02bc"), "TXT 1 a TXT 2 bc", true},
		{"TXT empty string", TypeTXT, []byte("\x00"), "TXT 0 ", true},
		{"TXT past rdata", TypeTXT, []byte("\x01a\x09bc"), "TXT 1 a", false},
		{"SPF", TypeSPF, []byte("\x0bv=spf1 -all"), "SPF 11 v=spf1 -all", true},
		{"SOA", TypeSOA, cat(enc("ns.example.com"), enc("admin.example.com"), make([]byte, 20)), "ns.example.com", true},
		{"SOA short", TypeSOA, cat(enc("ns.example.com"), enc("admin.example.com"), make([]byte, 19)), "", false},
		{"SRV", TypeSRV, cat(be16(1), be16(2), be16(5060), enc("sip.example.com")), "sip.example.com", true},
		{"NAPTR", TypeNAPTR, cat(be16(100), be16(10), []byte("\x01s\x08SIPS+D2T\x00"), enc("_sips._tcp.example.com")), "NAPTR 100 10 s SIPS+D2T _sips._tcp.example.com", true},
		{"NAPTR regexp", TypeNAPTR, cat(be16(1), be16(2), []byte("\x01u\x07E2U+sip\x03!x!\x00")), "NAPTR 1 2 u E2U+sip !x!", true},
		{"CAA", TypeCAA, []byte("\x00\x05issueca.example"), "", true},
		{"CAA bad tag", TypeCAA, []byte("\x00\x20issue"), "", false},
		{"HTTPS", TypeHTTPS, cat(be16(1), enc(""), []byte{0, 1, 0, 3, 2, 'h', '2'}), "", true},
		{"SVCB short", TypeSVCB, []byte{0, 1}, "", false},
		{"DNSKEY", TypeDNSKEY, []byte{1, 0, 3, 8, 0xaa}, "DNSKEY 8", true},
		{"RRSIG", TypeRRSIG, cat(be16(TypeA), []byte{8, 2}, make([]byte, 14), enc("Example.com"), []byte{1, 2, 3}), "RRSIG 1 example.com", true},
		{"RRSIG root", TypeRRSIG, cat(be16(TypeDNSKEY), []byte{8, 0}, make([]byte, 14), enc("")), "RRSIG 48 <Root>", true},
		{"DS", TypeDS, []byte{0x12, 0x34, 5, 2, 0xde, 0xad}, "DS 5 2", true},
		{"NSEC", TypeNSEC, cat(enc("b.example.com"), []byte{0, 1, 0x40}), "NSEC example.com b.example.com", true},
		{"NSEC3", TypeNSEC3, []byte{1, 0, 0, 10, 0, 0}, "NSEC3", true},
		{"NSEC3PARAM", TypeNSEC3PARAM, []byte{1, 0, 0, 10, 0}, "NSEC3PARAM", true},
		{"SSHFP", TypeSSHFP, []byte{1, 1, 0xab, 0xcd}, "SSHFP: abcd", true},
		{"LOC", TypeLOC, []byte{0, 0x12, 0x16, 0x13, 15: 0}, "LOC:  18 22 19", true},
		{"BINDS", TypeBINDS, []byte{8, 1, 2, 0, 1}, "BIND9 signing signal", true},
		{"WKS", TypeWKS, []byte{1, 2, 3, 4, 6, 0x40}, "", true},
		{"HINFO", TypeHINFO, []byte("\x03cpu\x02os"), "", true},
		{"HINFO extra", TypeHINFO, []byte("\x03cpu\x02os\x01x"), "", false},
		{"OPT", TypeOPT, []byte{0, 10, 0, 2, 1, 2}, "", true},
		{"OPT truncated option", TypeOPT, []byte{0, 10, 0, 9, 1, 2}, "", false},
		{"TSIG", TypeTSIG, []byte{0}, "", true},
		{"unknown", 4242, []byte{1, 2}, "<unknown type=4242>", true},
		{"unknown empty", 4242, nil, "<unknown type=4242>", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newMsg(7, 0x8180, 1, 2, 0, 0).question("Example.com", c.typ, 1).
				rr(c.typ, 300, c.rdata).rr(TypeA, 60, []byte{10, 0, 0, 1}).b
			var p Parser
			m := p.Parse(b)
			if m == nil || !m.QuestionsOK {
				t.Fatalf("questions not parsed: %+v", m)
			}
			if m.Questions[0].Name == nil || string(m.Questions[0].Name) != "example.com" {
				t.Errorf("question %q", m.Questions[0].Name)
			}
			got := answers(m)
			want := []string{}
			if c.want != "" {
				want = append(want, c.want)
			}
			if c.ok {
				want = append(want, "10.0.0.1")
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("answers %q, want %q", got, want)
			}
			if m.AnswersOK != c.ok {
				t.Errorf("AnswersOK %v, want %v", m.AnswersOK, c.ok)
			}
			if c.ok && m.Records[0].TTL != 300 {
				t.Errorf("ttl %d", m.Records[0].TTL)
			}
		})
	}
}

func TestParseNames(t *testing.T) {
	long := strings.Repeat("a", 64)
	cases := []struct {
		name    string
		build   func() []byte
		netbios bool
		want    string
	}{
		{"compressed suffix", func() []byte {
			return newMsg(1, 0x8180, 1, 1, 0, 0).question("example.com", 5, 1).
				rr(TypeCNAME, 1, cat([]byte("\x03www"), []byte{0xc0, 12})).b
		}, false, "www.example.com"},
		{"pointer to pointer", func() []byte {
			m := newMsg(1, 0x8180, 1, 2, 0, 0).question("example.com", 5, 1)
			m.rr(TypeCNAME, 1, []byte{0xc0, 12}) // rdata at 12+17+12 = 41
			return m.rr(TypeCNAME, 1, cat([]byte("\x01x"), []byte{0xc0, 41})).b
		}, false, "example.com|x.example.com"},
		{"forward pointer", func() []byte {
			return newMsg(1, 0x8180, 1, 1, 0, 0).question("example.com", 5, 1).
				rr(TypeCNAME, 1, cat([]byte("\x01a"), []byte{0xc0, 0xff})).b
		}, false, "a"},
		{"self loop", func() []byte {
			// The rdata points at itself: a pointer must point backwards.
			return newMsg(1, 0x8180, 1, 1, 0, 0).question("example.com", 5, 1).
				rr(TypeCNAME, 1, []byte{0xc0, 41}).b
		}, false, ""},
		{"label too long", func() []byte {
			return newMsg(1, 0x8180, 1, 1, 0, 0).question("example.com", 5, 1).
				rr(TypeCNAME, 1, cat([]byte("\x01b"), []byte{64}, []byte(long), []byte{0})).b
		}, false, "b"},
		{"netbios long label", func() []byte {
			return newMsg(1, 0x8180, 1, 1, 0, 0).question("example.com", 5, 1).
				rr(TypeCNAME, 1, cat([]byte{64}, []byte(long), []byte{0})).b
		}, true, long},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Parser{NetBIOS: c.netbios}
			m := p.Parse(c.build())
			var got []string
			for _, r := range m.Records {
				got = append(got, string(r.Text))
			}
			if strings.Join(got, "|") != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseNameBounds(t *testing.T) {
	// A chain of pointers, each adding one label, is cut at maxPointerHops;
	// names never exceed Zeek's 512-byte buffer.
	m := newMsg(1, 0x8180, 1, 2, 0, 0).question("z", 1, 1)
	m.ptr(12).u16(4242).u16(1).u32(1).u16(40 * 4) // the chain is this record's RDATA
	prev := 12
	for i := 0; i < 40; i++ {
		at := len(m.b)
		m.raw(1, 'a').ptr(prev)
		prev = at
	}
	m.ptr(prev).u16(TypeCNAME).u16(1).u32(1).u16(2).ptr(prev)
	var p Parser
	msg := p.Parse(m.b)
	if len(msg.Records) != 2 {
		t.Fatalf("records %d", len(msg.Records))
	}
	if n := strings.Count(string(msg.Records[1].Text), "a"); n != maxPointerHops {
		t.Errorf("labels %d, want %d", n, maxPointerHops)
	}
	// 100 labels of 63 bytes: cut by the name buffer.
	m = newMsg(1, 0x0100, 1, 0, 0, 0)
	for i := 0; i < 100; i++ {
		m.raw(63).raw([]byte(strings.Repeat("x", 63))...)
	}
	m.raw(0).u16(1).u16(1)
	msg = p.Parse(m.b)
	if len(msg.Questions) != 1 || len(msg.Questions[0].Name) >= maxNameBuf {
		t.Errorf("questions %d, name length %d", len(msg.Questions), len(msg.Questions))
	}
}

func TestParseMalformed(t *testing.T) {
	ok := newMsg(9, 0x8180, 1, 1, 0, 0).question("example.com", 1, 1).rr(TypeA, 5, []byte{1, 2, 3, 4}).b
	var p Parser
	if p.Parse(ok[:11]) != nil {
		t.Error("short header parsed")
	}
	for i := HeaderLen; i < len(ok); i++ {
		m := p.Parse(ok[:i])
		if m == nil || m.AnswersOK {
			t.Errorf("truncated at %d: AnswersOK", i)
		}
	}
	// Counts larger than the message.
	huge := append([]byte(nil), ok...)
	binary.BigEndian.PutUint16(huge[6:], 0xffff)
	binary.BigEndian.PutUint16(huge[8:], 0xffff)
	m := p.Parse(huge)
	if m.AnswersOK || len(m.Records) != 1 {
		t.Errorf("huge counts: %+v", m)
	}
	// Too many questions: header only (dns_max_queries).
	many := append([]byte(nil), ok...)
	binary.BigEndian.PutUint16(many[4:], MaxQueries+1)
	if m := p.Parse(many); !m.TooManyQueries || len(m.Questions) != 0 {
		t.Errorf("too many queries: %+v", m)
	}
	// rdlength past the end.
	bad := append([]byte(nil), ok...)
	binary.BigEndian.PutUint16(bad[len(bad)-6:], 200)
	if m := p.Parse(bad); m.AnswersOK || len(m.Records) != 0 {
		t.Errorf("rdlength past end: %+v", m)
	}
}

func TestParseHeaderFlags(t *testing.T) {
	h, ok := ParseHeader([]byte{0x12, 0x34, 0xaf, 0xb3, 0, 1, 0, 2, 0, 3, 0, 4})
	if !ok {
		t.Fatal("not ok")
	}
	want := Header{ID: 0x1234, QR: true, Opcode: 5, AA: true, TC: true, RD: true, RA: true, Z: 3, Rcode: 3,
		QDCount: 1, ANCount: 2, NSCount: 3, ARCount: 4}
	if h != want {
		t.Errorf("got %+v want %+v", h, want)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{TypeName(1), "A"}, {TypeName(255), "*"}, {TypeName(65534), "query-65534"},
		{ClassName(1), "C_INTERNET"}, {ClassName(9), "qclass-9"},
		{RcodeName(3), "NXDOMAIN"}, {RcodeName(8), "NXRRSet"}, {RcodeName(99), "rcode-99"},
		{OpcodeName(5, false), "dynamic-update"}, {OpcodeName(3, false), "opcode-3"},
		{OpcodeName(0, true), "netbios-query"}, {OpcodeName(3, true), "netbios-opcode-3"},
		{string(appendTypeName(nil, 28)), "AAAA"}, {string(appendTypeName(nil, 4242)), "query-4242"},
	} {
		if c.got != c.want {
			t.Errorf("got %q want %q", c.got, c.want)
		}
	}
}

func TestDynamicUpdate(t *testing.T) {
	m := newMsg(5, 0xa805, 1, 1, 3, 0).question("example.org", TypeSOA, 1)
	m.name("h.example.org").u16(TypeCNAME).u16(ClassNONE).u32(0).u16(0) // prereq
	m.name("h.example.org").u16(TypeAAAA).u16(ClassANY).u32(0).u16(0)   // delete RRset
	m.name("h.example.org").u16(TypeA).u16(ClassNONE).u32(0).u16(4).raw(1, 2, 3, 4)
	m.name("h.example.org").u16(TypeA).u16(1).u32(1200).u16(4).raw(192, 0, 2, 7)
	var p Parser
	msg := p.Parse(m.b)
	var got []string
	for _, r := range msg.Records {
		if r.Reply {
			got = append(got, string(r.Text))
		}
	}
	want := "pre: NoRRSet CNAME h.example.org|del: RRSet AAAA|del: RR A h.example.org|add: A h.example.org 192.0.2.7"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q", got)
	}
}

// TestReserveBounded checks that the room reserved for records follows
// what the message can hold, not the counts it announces.
func TestReserveBounded(t *testing.T) {
	var p Parser
	msg := []byte{0, 1, 0x81, 0x80, 0, 0, 0xff, 0xff, 0, 0, 0, 0}
	msg = append(msg, make([]byte, 3*minRRLen)...)
	p.Parse(msg)
	if c := cap(p.msg.Records); c > 3 {
		t.Errorf("records reserved: %d, want at most 3", c)
	}
	if c := cap(p.arena); c != arenaCap {
		t.Errorf("arena: %d, want %d", c, arenaCap)
	}
}
