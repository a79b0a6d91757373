package rec

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const connLine = `{"ts":1389721044.820046,"uid":"CHX6lgzaa0Xe","id.orig_h":"192.168.56.1","id.orig_p":54017,"id.resp_h":"192.168.56.101","id.resp_p":21,"proto":"tcp","service":"ftp","duration":2.372771,"orig_bytes":24,"resp_bytes":137,"conn_state":"SF","missed_bytes":0,"history":"ShAdDaFf","orig_pkts":11,"orig_ip_bytes":608,"resp_pkts":9,"resp_ip_bytes":613,"ip_proto":6}`

func TestParseConn(t *testing.T) {
	var r Rec
	if err := r.Parse("conn", []byte(connLine)); err != nil {
		t.Fatal(err)
	}
	c := r.Conn()
	want := Conn{TS: 1389721044.820046, Orig: netip.MustParseAddr("192.168.56.1"), OrigP: 54017,
		Resp: netip.MustParseAddr("192.168.56.101"), RespP: 21, Proto: ProtoTCP, Duration: 2.372771,
		OrigBytes: 24, RespBytes: 137, State: SF, OrigPkts: 11, RespPkts: 9, OrigIPBytes: 608, RespIPBytes: 613, IPProto: 6}
	got := *c
	got.UID, got.History, got.Service = nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Conn() = %+v\nwant %+v", got, want)
	}
	if string(c.UID) != "CHX6lgzaa0Xe" || string(c.History) != "ShAdDaFf" || string(c.Service) != "ftp" {
		t.Errorf("uid %q history %q service %q", c.UID, c.History, c.Service)
	}
	if r.Str("service") != "ftp" || r.Uint("missed_bytes") != 0 || !r.Has("ip_proto") || r.Has("nope") {
		t.Error("getters disagree")
	}
}

func TestGetters(t *testing.T) {
	line := `{ "ts" : 1.5e3, "s":"a\"b\\c\u00e9\n", "arr":["x","y\"z", 3, {"k":"v"}], "obj":{"a":[1,2]}, "b":true, "n":null, "v6":"::ffff:10.0.0.1", "v6b":"2001:db8::1", "neg":-12.25 }`
	var r Rec
	if err := r.Parse("x", []byte(line)); err != nil {
		t.Fatal(err)
	}
	if r.TS() != 1500 {
		t.Errorf("ts %v", r.TS())
	}
	if s := r.Str("s"); s != "a\"b\\cé\n" {
		t.Errorf("s %q", s)
	}
	if a := r.Strings("arr"); len(a) != 2 || a[1] != `y"z` {
		t.Errorf("arr %q", a)
	}
	if b, ok := r.Bool("b"); !b || !ok {
		t.Error("bool")
	}
	if r.Has("n") {
		t.Error("null counted as present")
	}
	if a := r.Addr("v6"); a != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("v6 mapped %v", a)
	}
	if a := r.Addr("v6b"); a != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("v6 %v", a)
	}
	if v, _ := r.Num("neg"); v != -12.25 {
		t.Errorf("neg %v", v)
	}
	if raw, _ := r.Raw("obj"); string(raw) != `{"a":[1,2]}` {
		t.Errorf("obj %s", raw)
	}
}

// TestFields checks that Fields, Key and Value give every indexed field
// in the line's order, repeated and escaped keys as written, and no more
// than MaxFields of them.
func TestFields(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"a":1,"k\u0041":"x\"y","a":[2,"]"],"e":"","o":{"p":null}`)
	for i := range MaxFields {
		fmt.Fprintf(&b, `,"f%d":%d`, i, i)
	}
	b.WriteString(`}`)
	var r Rec
	if err := r.Parse("t", b.Bytes()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Fields() {
		got = append(got, string(r.Key(f))+"="+string(r.Value(f)))
	}
	want := []string{`a=1`, `k\u0041="x\"y"`, `a=[2,"]"]`, `e=""`, `o={"p":null}`}
	for i := range MaxFields - len(want) {
		want = append(want, fmt.Sprintf("f%d=%d", i, i))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields %q\nwant %q", got, want)
	}
	var each []string
	r.ForEach(func(k, v []byte) { each = append(each, string(k)+"="+string(v)) })
	if !reflect.DeepEqual(each, want) {
		t.Errorf("ForEach %q\nwant %q", each, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":1`, `{"a":"x}`, `{"a":1 "b":2}`, `{"a":{"b":1}`} {
		var r Rec
		if err := r.Parse("x", []byte(s)); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

// FuzzParse checks that Parse never panics and agrees with encoding/json on
// every top-level string and number of a valid object.
func FuzzParse(f *testing.F) {
	f.Add([]byte(connLine))
	f.Add([]byte(`{"query":"a\\u0041.example","answers":["1.2.3.4","x"],"ts":1.0}`))
	f.Add([]byte(`{"a":{"b":[1,{"c":"}"}]},"d":-1e5,"e":true}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r Rec
		err := r.Parse("fuzz", line)
		r.Conn()
		var m map[string]any
		if json.Unmarshal(line, &m) != nil || err != nil {
			return
		}
		seen := map[string]int{}
		r.ForEach(func(k, v []byte) { seen[string(k)]++ })
		for k, v := range m {
			// encoding/json keeps a repeated key's last value, rec its
			// first: only keys seen once are compared.
			if hasEscape([]byte(k)) || seen[k] != 1 {
				continue
			}
			switch v := v.(type) {
			case string:
				if got := r.Str(k); got != v && validUTF8(v) {
					t.Errorf("Str(%q) = %q, encoding/json %q", k, got, v)
				}
			case float64:
				if got, ok := r.Num(k); ok && got != v && (got-v)/v > 1e-12 {
					t.Errorf("Num(%q) = %v, encoding/json %v", k, got, v)
				}
			}
		}
	})
}

func validUTF8(s string) bool {
	for _, r := range s {
		if r == 0xFFFD {
			return false
		}
	}
	return true
}

func BenchmarkConn(b *testing.B) {
	line := []byte(connLine)
	var r Rec
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		if err := r.Parse("conn", line); err != nil {
			b.Fatal(err)
		}
		r.Conn()
	}
}

// httpLine is an http.log record as Vigil writes it.
const httpLine = `{"ts":1700000000.123456,"uid":"CAbc1234567890xyz","id.orig_h":"10.0.0.1","id.orig_p":51234,"id.resp_h":"93.184.216.34","id.resp_p":80,"trans_depth":1,"method":"GET","host":"www.example.com","uri":"/static/js/app.bundle.min.js?v=20231101","referrer":"http://www.example.com/index.html","version":"1.1","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36","request_body_len":0,"response_body_len":48213,"status_code":200,"status_msg":"OK","tags":[],"resp_mime_types":["text/javascript"],"server":"nginx/1.22.1"}`

func BenchmarkParseHTTP(b *testing.B) {
	line := []byte(httpLine)
	var r Rec
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := r.Parse("http", line); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookups reads fields of an http.log record as the detectors do:
// late ones, an absent one, the first.
func BenchmarkLookups(b *testing.B) {
	var r Rec
	if err := r.Parse("http", []byte(httpLine)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Uint("status_code")
		_ = r.Has("username")
		_ = r.Bytes("method")
		_ = r.Bytes("connect_status")
		_ = r.TS()
	}
}

// dnsLine is a dns.log record as Vigil writes it.
const dnsLine = `{"ts":1767225600.436105,"uid":"C1SNd8ByFuKT","id.orig_h":"2001:db8:1:1:52bd:2951:3bb5:2d6f","id.orig_p":33063,"id.resp_h":"2001:db8:1::53","id.resp_p":53,"proto":"udp","trans_id":62344,"rtt":0.000625,"query":"sso.greenmedia.co.uk","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["192.0.2.34","192.0.2.40","192.0.2.21"],"TTLs":[3290.0,3290.0,3290.0],"rejected":false,"opcode":0,"opcode_name":"query"}`

// BenchmarkParse indexes typical conn, http and dns records.
func BenchmarkParse(b *testing.B) {
	for _, c := range []struct{ log, line string }{{"conn", connLine}, {"http", httpLine}, {"dns", dnsLine}} {
		b.Run(c.log, func(b *testing.B) {
			line := []byte(c.line)
			var r Rec
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if err := r.Parse(c.log, line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// refParse is Parse as it was before the fast path: one field at a time,
// strings ended with IndexByte. FuzzParseSame holds Parse to it.
func refParse(r *Rec, line []byte) error {
	r.line, r.n = line, 0
	if len(line) > 1<<30 {
		return ErrSyntax
	}
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return ErrSyntax
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return nil
	}
	for i < len(line) {
		if line[i] != '"' {
			return ErrSyntax
		}
		kEnd, ok := refStringEnd(line, i)
		if !ok {
			return ErrSyntax
		}
		key := span{uint32(i + 1), uint32(kEnd - 1)}
		i = skipSpace(line, kEnd)
		if i >= len(line) || line[i] != ':' {
			return ErrSyntax
		}
		i = skipSpace(line, i+1)
		vEnd, ok := refValueEnd(line, i)
		if !ok {
			return ErrSyntax
		}
		if r.n < MaxFields {
			r.fields[r.n] = Field{key, span{uint32(i), uint32(vEnd)}}
			r.n++
		}
		i = skipSpace(line, vEnd)
		if i >= len(line) {
			return ErrSyntax
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return nil
		default:
			return ErrSyntax
		}
	}
	return ErrSyntax
}

func refStringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
	return 0, false
}

func refValueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return refStringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, ok := refStringEnd(b, j)
				if !ok {
					return 0, false
				}
				j = e - 1
			case '{', '[':
				depth++
				if depth > 64 {
					return 0, false
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) && !scalarEnds[b[j]] {
		j++
	}
	if j == i || !scalar(b[i:j]) {
		return 0, false
	}
	return j, true
}

// FuzzParseSame checks that Parse indexes every line, malformed ones
// included, exactly as refParse does: same error, same fields.
func FuzzParseSame(f *testing.F) {
	for _, s := range []string{connLine, httpLine, dnsLine, `{}`, `{"a":"x\"y","b":[1,"]"],"c":tru}`,
		`{"k\\":1,"s":"\\\"","n":-,"t":true}`, `{"a":1"b":2}`, `{ "a" : "b" , "c":{"d":"}"} }`,
		`{"abcdefgh":"ijklmnopq","r":"s"}`, `{"a":"b",}`,
		// strings closed among the line's last seven bytes (tailQuote)
		`{"a":"b","server":"nginx/1.22"}`, `{"a":"b","s":"x\"yz"}`, `{"k":"abcdefghij\\"}`,
		`{"k":"abcdefg\"}"}`, `{"n":12345678901}`, `{"n":1.5e-7,"m":-0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var got, want Rec
		gotErr := got.Parse("fuzz", line)
		wantErr := refParse(&want, line)
		if gotErr != wantErr || got.n != want.n || got.fields != want.fields {
			t.Errorf("Parse(%q): err %v, %d fields %v\nwant err %v, %d fields %v", line,
				gotErr, got.n, got.Fields(), wantErr, want.n, want.Fields())
		}
		// Raw, through its key index, finds each key's first field.
		for _, f := range got.Fields() {
			key := string(got.Key(f))
			v, ok := got.Raw(key)
			if first := firstValue(&got, key); !ok || string(v) != string(first) {
				t.Errorf("Parse(%q): Raw(%q) = %q, %v; want %q", line, key, v, ok, first)
			}
		}
	})
}

// TestParseSameCut holds Parse to refParse, as FuzzParseSame does, on
// every prefix of typical lines, closed or not, and on the lines with one
// byte changed to a separator, a quote or a backslash: every boundary of
// plainFields's word reads and separator checks is crossed.
func TestParseSameCut(t *testing.T) {
	for _, s := range []string{connLine, httpLine, dnsLine, `{"a":"b","server":"nginx/1.22"}`,
		`{"abcdefgh":"ijklmnopq","r":[1,{"s":"]"}],"t":true,"u":null,"n":-1.5e3}`} {
		for k := range len(s) {
			lines := []string{s[:k], s[:k] + "}", s[:k] + `"}`}
			for _, c := range []byte(`",:}\{ 1`) {
				lines = append(lines, s[:k]+string(c)+s[k+1:])
			}
			for _, line := range lines {
				var got, want Rec
				gotErr := got.Parse("cut", []byte(line))
				wantErr := refParse(&want, []byte(line))
				if gotErr != wantErr || got.n != want.n || got.fields != want.fields {
					t.Fatalf("Parse(%q): err %v, %d fields %v\nwant err %v, %d fields %v", line,
						gotErr, got.n, got.Fields(), wantErr, want.n, want.Fields())
				}
			}
		}
	}
}

// firstValue is the value of key's first field, found by a plain scan.
func firstValue(r *Rec, key string) []byte {
	for _, f := range r.Fields() {
		if string(r.Key(f)) == key {
			return r.Value(f)
		}
	}
	return nil
}

// TestNumberAgreesWithStrconv: Number (and so Decimal's exact path) gives
// strconv.ParseFloat's float for every decimal, long ones included.
func TestNumberAgreesWithStrconv(t *testing.T) {
	cases := []string{"0", "-0", "7", "007", "1.5", "5.", ".5", "-12.25", "1767225606.191553",
		"9007199254740991", "9007199254740993", "900719925474099.3", "0.1", "0.3", "-.5",
		"123456789012345678", "12345678901234567.8", "98765432109876543", "1234567890123456789",
		"18446744073709551616", "0.000000000000000000001234", "1e5", "-1.5e3"}
	for i := 0; i < 2000; i++ {
		cases = append(cases, fmt.Sprintf("%d.%06d", 1_600_000_000+i*7919, (i*104729)%1_000_000),
			fmt.Sprintf("%d%d", 9_007_199_254+i*7919, 100_000_000+i*104729))
	}
	for _, c := range cases {
		want, err := strconv.ParseFloat(c, 64)
		got, ok := Number([]byte(c))
		if ok != (err == nil) || ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("Number(%s) = %v, %v; strconv says %v, %v", c, got, ok, want, err)
		}
	}
}

func TestParseMAC(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" when invalid
	}{
		{"02:66:00:00:00:42", "02:66:00:00:00:42"},
		{"AA:bb:Cc:0d:E0:ff", "aa:bb:cc:0d:e0:ff"},
		{"02:66:00:00:00:4", ""},
		{"02:66:00:00:00:4g", ""},
		{"02-66-00-00-00-42", ""},
		{"02:66:00:00:00:420", ""},
		{"", ""},
	} {
		m, ok := ParseMAC([]byte(tc.in))
		if got := map[bool]string{true: m.String(), false: ""}[ok]; got != tc.want {
			t.Errorf("ParseMAC(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
		if !ok && !m.IsZero() {
			t.Errorf("ParseMAC(%q) failed but returned %v", tc.in, m)
		}
	}
	var r Rec
	line := `{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp","orig_l2_addr":"02:66:00:00:00:42","resp_l2_addr":"02:66:00:00:00:0a"}`
	if err := r.Parse("conn", []byte(line)); err != nil {
		t.Fatal(err)
	}
	if c := r.Conn(); c.OrigMAC.String() != "02:66:00:00:00:42" || c.RespMAC.String() != "02:66:00:00:00:0a" {
		t.Errorf("conn MACs %v %v", c.OrigMAC, c.RespMAC)
	}
}

// TestRawKeyIndex: Raw finds a key among others of its length and of
// lengths that share its bucket (n and n+keyBuckets), returns the first
// of repeated keys, and forgets the previous line's keys (and ts) on Parse.
func TestRawKeyIndex(t *testing.T) {
	long := strings.Repeat("k", keyBuckets+1)
	line := `{"ts":1.5,"a":1,"b":2,"` + long + `":3,"k":4,"a":5,"ab":6}`
	var r Rec
	if err := r.Parse("x", []byte(line)); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"a": "1", "b": "2", long: "3", "k": "4", "ab": "6", "ts": "1.5"} {
		if v, ok := r.Raw(key); !ok || string(v) != want {
			t.Errorf("Raw(%q) = %q, %v; want %q", key, v, ok, want)
		}
	}
	for _, key := range []string{"c", "abc", long + "k", strings.Repeat("k", keyBuckets+2)} {
		if v, ok := r.Raw(key); ok {
			t.Errorf("Raw(%q) = %q, want absent", key, v)
		}
	}
	if r.TS() != 1.5 {
		t.Errorf("TS() = %v", r.TS())
	}
	if err := r.Parse("x", []byte(`{"b":7,"ts":2}`)); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Raw("a"); ok {
		t.Errorf("after Parse, Raw(a) = %q", v)
	}
	if v, _ := r.Raw("b"); string(v) != "7" || r.TS() != 2 {
		t.Errorf("after Parse, Raw(b) = %q, TS() = %v", v, r.TS())
	}
}

// TestNotNumberBytes: every byte value, in every lane of a word of digits,
// is marked exactly when it lies outside '-'..'9'.
func TestNotNumberBytes(t *testing.T) {
	for c := range 256 {
		for lane := range 8 {
			w := uint64('5' * lanes1)
			w = w&^(0xff<<(8*lane)) | uint64(c)<<(8*lane)
			var want uint64
			if c < '-' || c > '9' {
				want = 0x80 << (8 * lane)
			}
			if got := notNumberBytes(w); got != want {
				t.Fatalf("notNumberBytes(%#x) = %#x, want %#x", w, got, want)
			}
		}
	}
}

// TestTS: the record's time is its first ts field as a number, wherever
// it is (the first field is read without the key index).
func TestTS(t *testing.T) {
	for _, c := range []struct {
		line string
		want float64
	}{
		{`{"ts":1767225600.5,"uid":"C1"}`, 1767225600.5},
		{`{"ts":3,"ts":4}`, 3},
		{`{"uid":"C1","ts":5,"ts":6}`, 5},
		{`{"ts":"7"}`, 0},
		{`{"uid":"C1"}`, 0},
		{`{}`, 0},
	} {
		var r Rec
		if err := r.Parse("x", []byte(c.line)); err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		want, _ := r.Num("ts")
		if got := r.TS(); got != c.want || got != want {
			t.Errorf("%s: TS() = %v, want %v (Num says %v)", c.line, got, c.want, want)
		}
	}
}

// refDecimal is Decimal as it was before words of digits: one digit at a
// time. FuzzDecimal holds Decimal to it, and both to strconv.
func refDecimal(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	digitRun := func(b []byte, n uint64) (uint64, int) {
		i := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			n = n*10 + uint64(b[i]-'0')
		}
		return n, i
	}
	mant, whole := digitRun(b, 0)
	digits, frac := whole, 0
	if whole < len(b) && b[whole] == '.' {
		mant, frac = digitRun(b[whole+1:], mant)
		digits += frac
		if whole+1+frac != len(b) {
			return 0, false
		}
	} else if whole != len(b) {
		return 0, false
	}
	if digits == 0 || digits > 19 || mant >= 1<<53 {
		return 0, false
	}
	f := float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

// checkDecimal fails t unless Decimal(s) equals refDecimal(s) (bit for
// bit) and, where it accepts s, strconv.ParseFloat's float.
func checkDecimal(t *testing.T, s string) {
	t.Helper()
	got, ok := Decimal([]byte(s))
	want, wantOK := refDecimal([]byte(s))
	if ok != wantOK || math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("Decimal(%q) = %v, %v; one digit at a time gives %v, %v", s, got, ok, want, wantOK)
	}
	if ok {
		if f, err := strconv.ParseFloat(s, 64); err != nil || math.Float64bits(f) != math.Float64bits(got) {
			t.Fatalf("Decimal(%q) = %v; strconv says %v, %v", s, got, f, err)
		}
	}
}

// TestDecimalWords: every split of digits between words, whole and last,
// before and after the point, with a stray byte anywhere.
func TestDecimalWords(t *testing.T) {
	const digits = "1767225600268074193"
	for n := 0; n <= len(digits); n++ {
		for dot := -1; dot <= n; dot++ {
			s := digits[:n]
			if dot >= 0 {
				s = s[:dot] + "." + s[dot:]
			}
			for _, c := range []string{s, "-" + s, "0" + s, s + "0"} {
				checkDecimal(t, c)
				for i := 0; i <= len(c); i++ {
					for _, x := range []string{"/", ":", "e", " ", "\x00", "\xb0", "."} {
						checkDecimal(t, c[:i]+x+c[i:])
					}
				}
			}
		}
	}
}

func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"1767225600.268074", "0.000625", "-12", "5.", ".5", "9007199254740993", "1e5", "12345678.12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecimal(t, s) })
}

// TestParseMACBytes: every byte value at every position of a MAC gives
// what hex.Decode does.
func TestParseMACBytes(t *testing.T) {
	ref := func(b []byte) (m MAC, ok bool) {
		if len(b) != 17 {
			return MAC{}, false
		}
		for i := range m {
			if i < 5 && b[3*i+2] != ':' {
				return MAC{}, false
			}
			if _, err := hex.Decode(m[i:i+1], b[3*i:3*i+2]); err != nil {
				return MAC{}, false
			}
		}
		return m, true
	}
	for pos := range 17 {
		for c := range 256 {
			b := []byte("0a:Bc:d9:e1:F2:34")
			b[pos] = byte(c)
			got, ok := ParseMAC(b)
			want, wantOK := ref(b)
			if got != want || ok != wantOK {
				t.Fatalf("ParseMAC(%q) = %v, %v; want %v, %v", b, got, ok, want, wantOK)
			}
		}
	}
}

// BenchmarkNumber parses a timestamp, a duration and a count as written
// in Vigil's logs.
func BenchmarkNumber(b *testing.B) {
	for _, s := range []string{"1767225600.268074", "0.000625", "3290.0", "53"} {
		v := []byte(s)
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, ok := Number(v); !ok {
					b.Fatal(s)
				}
			}
		})
	}
}

// BenchmarkParseMAC parses conn.log's link-layer address.
func BenchmarkParseMAC(b *testing.B) {
	v := []byte("02:66:00:00:00:42")
	for b.Loop() {
		if _, ok := ParseMAC(v); !ok {
			b.Fatal()
		}
	}
}

// TestNumberOverflow: a number too large for a float64 (or a NaN or Inf
// spelled out, which JSON has not) is no number: a ts of 1.69e746 must
// not become +Inf in alerts (FuzzEngine found it).
func TestNumberOverflow(t *testing.T) {
	for _, s := range []string{"1795952456.69e746", "1e400", "-1e400", "NaN", "Inf"} {
		if v, ok := parseNumber([]byte(s)); ok || v != 0 {
			t.Errorf("parseNumber(%q) = %v, %v", s, v, ok)
		}
	}
	var r Rec
	if err := r.Parse("conn", []byte(`{"ts":1795952456.69e746,"uid":"C1"}`)); err != nil {
		t.Fatal(err)
	}
	if ts := r.TS(); ts != 0 {
		t.Errorf("TS = %v", ts)
	}
}

// TestResetConnIndexesOnDemand: a conn line handed with its Conn is not
// indexed until a reader asks for another field; the Conn it came with
// stays, and the other fields are the line's.
func TestResetConnIndexesOnDemand(t *testing.T) {
	line := []byte(`{"ts":1700000000.25,"uid":"Cabc","id.orig_h":"10.0.0.1","id.orig_p":1234,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","local_orig":true,"history":"ShADadFf"}`)
	var fresh Rec
	if err := fresh.Parse("conn", line); err != nil {
		t.Fatal(err)
	}
	given := *fresh.Conn()
	if !given.LocalOrig || given.LocalResp || given.Tunneled {
		t.Fatalf("decoded local_orig/local_resp/tunnel_parents wrong: %+v", given)
	}
	given.OrigBytes = 77 // not in the line: tells the given Conn from a decoded one
	var s Shared
	s.ResetConn("conn", line, &given)
	r, err := s.Rec()
	if err != nil {
		t.Fatal(err)
	}
	if r.n != 0 || !r.lazy {
		t.Fatalf("the line was indexed before any reader asked (n=%d lazy=%v)", r.n, r.lazy)
	}
	if r.Conn().OrigBytes != 77 || r.TS() != 1700000000.25 {
		t.Fatalf("Conn or TS not the given ones: %+v %v", r.Conn(), r.TS())
	}
	if got := r.Str("history"); got != "ShADadFf" {
		t.Fatalf("history = %q after indexing on demand", got)
	}
	if len(r.Fields()) != 9 || r.Conn().OrigBytes != 77 {
		t.Fatalf("after indexing: %d fields, Conn %+v", len(r.Fields()), r.Conn())
	}
	s.Reset("conn", line)
	if r, _ := s.Rec(); r.Conn().OrigBytes != 0 {
		t.Fatalf("Reset kept the given Conn: %+v", r.Conn())
	}
}

// TestAsRead: an address handed beside its line reads as the line's text
// does: IPv4-mapped unmapped, a zone kept unless the text is too long.
func TestAsRead(t *testing.T) {
	for _, s := range []string{"10.0.0.1", "::ffff:10.0.0.1", "2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1%eth0",
		"fe80::1%" + strings.Repeat("z", 60), "::"} {
		a := netip.MustParseAddr(s)
		if got, want := AsRead(a), ParseAddr([]byte(a.Unmap().String())); got != want {
			t.Errorf("AsRead(%s) = %v, the text reads %v", s, got, want)
		}
	}
	if AsRead(netip.Addr{}).IsValid() {
		t.Error("AsRead of no address is valid")
	}
}

// TestConnFlagsFirstKey: Conn's LocalOrig, LocalResp and Tunneled say
// what Bool and Has said of the line (its first field of each key), which
// the site check and the IPv6 monitor read before Conn had them; a Zeek
// log given as input may repeat a key.
func TestConnFlagsFirstKey(t *testing.T) {
	for _, line := range []string{
		`{"ts":1.5,"local_orig":true,"local_resp":false,"tunnel_parents":["C1"],"local_orig":false,"local_resp":true,"tunnel_parents":null}`,
		`{"ts":1.5,"local_orig":false,"local_resp":true,"tunnel_parents":null,"local_orig":true,"local_resp":false,"tunnel_parents":["C1"]}`,
		`{"ts":1.5,"local_orig":"T","local_orig":true,"tunnel_parents":[]}`,
		`{"ts":1.5,"orig_l2_addr":"02:00:00:00:00:01","resp_l2_addr":7,"orig_l2_addr":"02:00:00:00:00:02","resp_l2_addr":"02:00:00:00:00:03"}`,
	} {
		var r Rec
		if err := r.Parse("conn", []byte(line)); err != nil {
			t.Fatal(err)
		}
		lo, _ := r.Bool("local_orig")
		lr, _ := r.Bool("local_resp")
		c := r.Conn()
		if string(c.OrigL2) != string(r.Bytes("orig_l2_addr")) || (c.RespL2 == nil) != (r.Bytes("resp_l2_addr") == nil) {
			t.Errorf("%s: Conn's L2 texts %q/%q, Bytes reads %q/%q", line, c.OrigL2, c.RespL2, r.Bytes("orig_l2_addr"), r.Bytes("resp_l2_addr"))
		}
		if c.LocalOrig != lo || c.LocalResp != lr || c.Tunneled != r.Has("tunnel_parents") {
			t.Errorf("%s: Conn says local %v/%v tunneled %v; Bool and Has say %v/%v %v", line,
				c.LocalOrig, c.LocalResp, c.Tunneled, lo, lr, r.Has("tunnel_parents"))
		}
	}
}

// addrSeeds are address texts netip.ParseAddr takes or refuses for each
// of its IPv6 rules.
var addrSeeds = []string{"::", "::1", "1::", "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "fe80::1%eth0", "::ffff:10.0.0.1",
	"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1::2::3",
	"12345::", "1:", ":1", ":::", "1:::2", "0000:ffff::", "g::", "1.2:3::", "1::%", "::1.2.3.4", "1::2:", "10.0.0.1", ""}

// TestParseAddrIPv6: ParseAddr reads every IPv6 text as netip.ParseAddr
// does (IPv4-mapped unmapped), on its own path or netip's.
func TestParseAddrIPv6(t *testing.T) {
	for _, s := range addrSeeds {
		checkParseAddr(t, []byte(s))
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range addrSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkParseAddr)
}

// checkParseAddr checks ParseAddr against netip.ParseAddr for the texts
// that parseIPv4 (which takes leading zeros) does not take.
func checkParseAddr(t *testing.T, b []byte) {
	want, err := netip.ParseAddr(string(b))
	if want = want.Unmap(); err != nil || len(b) > 64 {
		want = netip.Addr{}
	}
	if a, ok := parseIPv4(b); ok && len(b) <= 64 {
		want = a
	}
	if got := ParseAddr(b); got != want {
		t.Fatalf("ParseAddr(%q) = %v, netip reads %v", b, got, want)
	}
	if a, ok := parseIPv6(b); ok && (a != want && a.Unmap() != want || err != nil) {
		t.Fatalf("parseIPv6(%q) = %v, netip reads %v (%v)", b, a, want, err)
	}
}

// TestParseAddrAllocs: an IPv6 address without a zone is read without
// allocating.
func TestParseAddrAllocs(t *testing.T) {
	b := []byte("2001:db8:85a3::8a2e:370:7334")
	if n := testing.AllocsPerRun(100, func() { ParseAddr(b) }); n != 0 {
		t.Errorf("ParseAddr(%s) allocates %v times", b, n)
	}
}

func TestHasService(t *testing.T) {
	for _, tc := range []struct {
		service, name string
		want          bool
	}{
		{"http", "http", true},
		{"ssl,http", "http", true},
		{"http,ssl", "ssl", true},
		{"", "http", false},
		{"https", "http", false},
		{"ssl,,http", "http", true},
		{"xhttp,httpx", "http", false},
	} {
		c := Conn{Service: []byte(tc.service)}
		if got := c.HasService(tc.name); got != tc.want {
			t.Errorf("%q has %q: %v, want %v", tc.service, tc.name, got, tc.want)
		}
	}
}
