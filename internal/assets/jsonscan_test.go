package assets

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

func TestScanObject(t *testing.T) {
	line := []byte(` { "ts" : 1.5e3, "s":"a\"b\\c\u00e9\ud83d\ude00\n", "t":true, "f":false, "n":null,
		"arr":[1, "x", {"k":[2,3]}, []], "obj":{"a":{"b":"}"}}, "neg":-42, "empty":"" } `)
	got := map[string]string{}
	err := scanObject(line, func(k []byte, v value) {
		switch v.kind() {
		case kindString:
			got[string(k)] = "s:" + v.str()
		case kindNumber:
			got[string(k)] = "n:" + string(v.raw())
		case kindBool:
			if v.bool() {
				got[string(k)] = "true"
			} else {
				got[string(k)] = "false"
			}
		case kindNull:
			got[string(k)] = "null"
		case kindArray, kindObject:
			got[string(k)] = "raw:" + string(v.raw())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ts": "n:1.5e3", "s": "s:a\"b\\cé😀\n", "t": "true", "f": "false", "n": "null",
		"arr": `raw:[1, "x", {"k":[2,3]}, []]`, "obj": `raw:{"a":{"b":"}"}}`, "neg": "n:-42", "empty": "s:",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestScanObjectErrors(t *testing.T) {
	for _, bad := range []string{
		``, `[]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a":"x}`, `{"a":[1,2}`, `{"a":tru}`, `{a:1}`, `{"a":1}}x`,
	} {
		if err := scanObject([]byte(bad), func([]byte, value) {}); err == nil && bad != `{"a":1}}x` {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValueHelpers(t *testing.T) {
	vals := map[string]value{}
	err := scanObject([]byte(`{"u":"123","f":1.75,"big":1e30,"neg":-1,"list":["a",1,"b\u0041"],"nums":[1, 3,6 ,15],"bad":"\uZZZZ"}`),
		func(k []byte, v value) { vals[string(k)] = v })
	if err != nil {
		t.Fatal(err)
	}
	if vals["u"].uint() != 123 || vals["f"].uint() != 1 || vals["f"].float() != 1.75 || vals["neg"].uint() != 0 || vals["big"].uint() != 0 {
		t.Errorf("numbers: %d %d %v %d %d", vals["u"].uint(), vals["f"].uint(), vals["f"].float(), vals["neg"].uint(), vals["big"].uint())
	}
	if got := vals["list"].strs(10); !reflect.DeepEqual(got, []string{"a", "bA"}) {
		t.Errorf("strs %q", got)
	}
	if got := vals["list"].strs(1); len(got) != 1 {
		t.Errorf("strs bound %q", got)
	}
	if got := joinNumbers(vals["nums"]); got != "1,3,6,15" {
		t.Errorf("joinNumbers %q", got)
	}
	if got := vals["bad"].str(); got != `\uZZZZ` {
		t.Errorf("malformed escape %q", got)
	}
}

// FuzzRecord feeds arbitrary lines to every record handler: nothing may
// panic, and the scanner must agree with encoding/json on what is a
// valid object's top-level string members.
func FuzzRecord(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "records", "*.log"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		log := strings.TrimSuffix(filepath.Base(s), ".log")
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" {
				f.Add(log, []byte(l))
			}
		}
	}
	f.Add("conn", []byte(`{"ts":1,"id.orig_h":"::ffff:1.2.3.4","history":"\u0000"}`))
	f.Add("dns", []byte(`{"query":"1.1.1.1.in-addr.arpa","rcode":0,"answers":["a.b","TXT 999 x"]}`))
	sink := &contractSink{state: map[*Finding]uint8{}}
	inv := newInv(f, func(c *Config) { c.AllHosts = true; c.MaxHosts = 4096; c.Sink = sink })
	logs := make([]string, 0, len(inv.handlers))
	for l := range inv.handlers {
		logs = append(logs, l)
	}
	f.Fuzz(func(t *testing.T, log string, line []byte) {
		for _, l := range logs {
			inv.Record(l, line)
		}
		inv.Record(log, line)
		if sink.broken != "" {
			t.Fatalf("finding sink: %s", sink.broken)
		}
		var ref map[string]any
		jsonOK := json.Unmarshal(line, &ref) == nil && ref != nil
		got := map[string]string{}
		err := scanObject(line, func(k []byte, v value) {
			if v.kind() == kindString && !strings.Contains(string(k), `\`) {
				got[string(k)] = v.str()
			}
		})
		if jsonOK && err != nil {
			t.Fatalf("valid JSON rejected: %q: %v", line, err)
		}
		if !jsonOK || err != nil {
			return
		}
		for k, s := range got {
			if r, ok := ref[k].(string); ok && r != s && replaceInvalid(s) != r {
				t.Fatalf("member %q: %q, encoding/json says %q", k, s, r)
			}
		}
	})
}

// contractSink checks the FindingSink contract: a finding is raised
// once, recurs only after, and is heard of no more once dropped.
type contractSink struct {
	state  map[*Finding]uint8 // 1 raised, 2 dropped
	broken string             // the first breach
}

func (c *contractSink) breach(format string, f *Finding) {
	if c.broken == "" {
		c.broken = fmt.Sprintf(format, f.Key())
	}
}

func (c *contractSink) Raised(f *Finding) {
	if c.state[f] != 0 {
		c.breach("%s raised again", f)
	}
	c.state[f] = 1
}

func (c *contractSink) Recurred(f *Finding, _ Occurrence) {
	if c.state[f] != 1 {
		c.breach("%s recurred, not raised or dropped", f)
	}
}

func (c *contractSink) Dropped(f *Finding) {
	if c.state[f] != 1 {
		c.breach("%s dropped, not raised or dropped before", f)
	}
	c.state[f] = 2
}

func TestFuzzSeedsPass(t *testing.T) {
	inv := newInv(t, nil)
	for _, line := range []string{`{`, `{"ts":"x","id.orig_h":7}`, `[1,2]`, `{"answers":[{"a":1}],"query":"x.local"}`} {
		for l := range inv.handlers {
			inv.Record(l, []byte(line))
		}
	}
	inv.Close()
	inv.Hosts()
	if inv.Stats().Errors == 0 {
		t.Error("malformed lines not counted")
	}
}

// replaceInvalid replaces each byte of invalid UTF-8 with U+FFFD, as
// encoding/json does.
func replaceInvalid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// TestNumbersAgreeWithStrconv checks the fast paths of float and uint
// against strconv on plain decimals and on the forms they hand over.
func TestNumbersAgreeWithStrconv(t *testing.T) {
	cases := []string{"0", "-0", "7", "007", "1.5", "5.", ".5", "-12.25", "1767225606.19155",
		"1767225606.201836", "9007199254740991", "9007199254740993", "900719925474099.3",
		"0.1", "0.3", "-.5", "-5.", "00000000000000000001.5", "123456789012345678", "1234567890123456789", "12345678901234567890",
		"18446744073709551615", "18446744073709551616", "0.000000000000000000001234",
		"1e5", "1.5e3", "-", ".", "", "1.2.3", "+1", "0x10", "inf", "1_000",
		"1234567.5", "12345678.5", "12345678.12345678", "1234567a9", "12345678:", "1234567812345678.5",
		"0.12345678", "0.1234567/", "9999999999999999.5", "99999999.99999999"}
	for i := 0; i < 2000; i++ {
		cases = append(cases, fmt.Sprintf("%d.%06d", 1_600_000_000+i*7919, (i*104729)%1_000_000),
			fmt.Sprintf("%.*f", i%12, float64(i)*0.123456789))
	}
	for _, c := range cases {
		for _, v := range []value{{[]byte(c)}, {[]byte(`"` + c + `"`)}} {
			want, err := strconv.ParseFloat(c, 64)
			if err != nil {
				want = 0
			}
			if got := v.float(); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("float(%s) = %v, strconv says %v", v.json, got, want)
			}
			wantU, err := strconv.ParseUint(c, 10, 64)
			if err != nil {
				wantU = 0
				if want > 0 && want < 1<<63 {
					wantU = uint64(want)
				}
			}
			if got := v.uint(); got != wantU {
				t.Errorf("uint(%s) = %v, want %v", v.json, got, wantU)
			}
		}
	}
}

// TestDecodersVisitInOrder checks that decoders read every field in the
// line's order, whether the line's index is the inventory's own (Record)
// or shared (RecordShared): a repeated key keeps its last value unless a
// decoder skips it (an empty cert_chain_fps, client_software after a
// vendor_class), and escaped keys match nothing.
func TestDecodersVisitInOrder(t *testing.T) {
	inv := newInv(t, nil)
	app := []byte(`{"ts":1,"host":"a","user":"u1","username":"u2","cert_chain_fps":["fp1"],` +
		`"cert_chain_fps":[],"host":"b","h\u006fst":"c","server":"s1"}`)
	dhcp := []byte(`{"uids":["U1"],"uid":"U2","uids":[],"vendor_class":"v","client_software":"cs"}`)
	for _, shared := range []bool{false, true} {
		var s rec.Shared
		decode := func(log string, line []byte, fn func([]byte) error) {
			t.Helper()
			if shared {
				s.Reset(log, line)
				inv.cur = &s
				defer func() { inv.cur = nil }()
			}
			if err := fn(line); err != nil {
				t.Fatal(err)
			}
		}
		var a appRec
		decode("http", app, func(l []byte) error { return inv.decodeApp(l, &a) })
		if a.host != "b" || a.username != "u2" || a.certFP != "fp1" || a.server != "s1" {
			t.Errorf("shared %v: app %+v", shared, a)
		}
		var d dhcpRec
		decode("dhcp", dhcp, func(l []byte) error { return inv.decodeDHCP(l, &d) })
		if d.uid != "U2" || d.vendorClass != "v" {
			t.Errorf("shared %v: dhcp uid %q vendor %q", shared, d.uid, d.vendorClass)
		}
	}
}

// TestAnswerAddr checks that answerAddr reads a DNS answer as
// netip.ParseAddr reads its decoded text (unmapped), escapes and all.
func TestAnswerAddr(t *testing.T) {
	inv := newInv(t, nil)
	for _, text := range []string{
		`"10.0.0.5"`, `"10.0.0.05"`, `"256.1.1.1"`, `"1.2.3"`, `"1.2.3.4.5"`, `"1..2.3"`, `"0.0.0.0"`,
		`"::ffff:10.0.0.5"`, `"fe80::1%eth0"`, `"2001:db8::1"`, `"2001:db8::1"`, `"host.example"`, `""`,
		`"TXT 3 a=b"`, `"\u0031.2.3.4"`, `"fe80::1%\u003cx\u003e"`, `"2001\u003adb8::2"`, `"1.2.3.4%x"`,
		`"%1"`, `":"`, `"1.2.3.4\\"`,
	} {
		v := value{[]byte(text)}
		want, err := netip.ParseAddr(v.str())
		got, ok := inv.answerAddr(v)
		if ok != (err == nil) || got != want.Unmap() {
			t.Errorf("answerAddr(%s) = %v, %v; want %v, %v", text, got, ok, want.Unmap(), err == nil)
		}
	}
}
