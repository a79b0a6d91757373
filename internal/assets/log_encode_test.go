package assets

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// jsonLines is what a json.Encoder without HTML escaping writes for hosts.
func jsonLines(t testing.TB, hosts []Host) []byte {
	var want bytes.Buffer
	for i := range hosts {
		if err := encodeHost(&want, &hosts[i]); err != nil {
			t.Fatal(err)
		}
	}
	return want.Bytes()
}

func checkWriteHosts(t testing.TB, hosts []Host) {
	want := jsonLines(t, hosts)
	var got bytes.Buffer
	if err := WriteHosts(&got, hosts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteHosts differs from encoding/json:\n got %s\nwant %s", got.Bytes(), want)
	}
}

// oddHost has every field set, with strings and floats encoding/json
// escapes or formats specially.
func oddHost(s string, f float64) Host {
	ev := []Evidence{{Log: s, UID: s, TS: f, Rule: s, Field: s, Value: s,
		Detail: DetailOf(map[string]string{s: s, "b": "x", "a": s, "": ""}), Confidence: f}, {}}
	g := &Guess{Value: s, Confidence: f, Evidence: ev, Alternatives: []Alternative{{s, f}, {}}}
	return Host{Key: s, MAC: s, Vendor: s, RandomMAC: true, Gateway: true, FirstSeen: f, LastSeen: -f,
		Addrs: []Addr{{s, f, f, s}, {}},
		Names: []Name{{s, s, f, f, s, s}, {}},
		OS:    g, Class: &Guess{Evidence: []Evidence{}}, Device: &Guess{},
		Roles:    []Role{{s, f, ev}, {}},
		Services: []Service{{s, 65535, s, s, s, s, s, s, f, []string{s, ""}, f, f, math.MaxUint64, -3}, {}},
		Used:     []Used{{s, s, s, 1, s, true, 1, 2, 3, f, f}, {}},
		Traffic:  Traffic{1, 2, 3, 4, 5, math.MaxUint64},
		Findings: []HostFinding{{s, s, -1, s, 7}, {}},
	}
}

var oddStrings = []string{"", "plain", "q\"b\\s/", "\x00\x01\b\f\n\r\t\x1f\x7f", "<&>", "\u2028\u2029",
	"é😀", "\xff\xfe bad \xc3", "\xe2\x80", "tail\xe2\x80\xa8"}

var oddFloats = []float64{0, math.Copysign(0, -1), 1, -1.5, 1767225687.883209, 1e-6, 9.99e-7, 1e-7, 1e20,
	1e21, 123456789e15, 5e-324, math.MaxFloat64, 0.1, 1.0 / 3}

func TestWriteHostsMatchesJSON(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	feed(inv, "_syn", synLinux, synWindows)
	inv.Close()
	checkWriteHosts(t, inv.Hosts())
	var hosts []Host
	for i, s := range oddStrings {
		for _, f := range oddFloats {
			hosts = append(hosts, oddHost(s+oddStrings[(i+1)%len(oddStrings)], f))
		}
	}
	hosts = append(hosts, Host{})
	checkWriteHosts(t, hosts)
}

func TestWriteHostsUnsupportedFloat(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		hosts := []Host{{Key: "a"}, oddHost("b", f), {Key: "c"}}
		var got, want bytes.Buffer
		errGot := WriteHosts(&got, hosts)
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		var errWant error
		for i := range hosts {
			if errWant = enc.Encode(&hosts[i]); errWant != nil {
				break
			}
		}
		if errGot == nil || errWant == nil || errGot.Error() != errWant.Error() || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%v: got %v %q, want %v %q", f, errGot, got.Bytes(), errWant, want.Bytes())
		}
	}
}

func FuzzWriteHosts(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s, 1767225687.883209)
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		checkWriteHosts(t, []Host{oddHost(s, x)})
	})
}

// TestAppendMicroDecimal holds appendFloat's shortcut to strconv's
// shortest form on timestamps, confidences and the floats around them
// (the neighbours of n/10^6, which the shortcut must leave to strconv).
func TestAppendMicroDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(f float64) {
		var e hostEncoder
		got := e.appendFloat(nil, f)
		want := strconv.AppendFloat(nil, f, 'f', -1, 64)
		if f != 0 && (math.Abs(f) < 1e-6 || math.Abs(f) >= 1e21) {
			return // 'e' form, never the shortcut's
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%v: %s, want %s", f, got, want)
		}
	}
	for range 1_000_000 {
		var f float64
		switch r.IntN(4) {
		case 0: // a timestamp of microseconds
			f = float64(1_600_000_000_000_000+r.Int64N(400_000_000_000_000)) / 1e6
		case 1: // a confidence
			f = float64(r.IntN(10001)) / 1e4
		case 2: // any n/10^6 up to the limit and beyond
			f = float64(r.Int64N(microLimit*1e6*2)) / 1e6
		default: // any float of the range
			f = r.Float64() * microLimit * 2
		}
		for _, g := range []float64{f, math.Nextafter(f, 0), math.Nextafter(f, math.Inf(1)), -f} {
			check(g)
		}
	}
	for _, f := range []float64{1e-6, 1.5e-6, 0.000001, 0.5, 1, microLimit, math.Nextafter(microLimit, 0), 8589934591.999999} {
		check(f)
	}
}

// A Detail must be written as encoding/json writes the map of its fields,
// with HTML escaping and without, and read back as it was.
func TestDetailJSONMatchesMap(t *testing.T) {
	for _, s := range oddStrings {
		m := map[string]string{s: s, "b": "x", "a" + s: s, "": "", "times": "2"}
		d := DetailOf(m)
		for _, html := range []bool{true, false} {
			enc := func(v any) string {
				var b bytes.Buffer
				e := json.NewEncoder(&b)
				e.SetEscapeHTML(html)
				if err := e.Encode(map[string]any{"detail": v}); err != nil {
					t.Fatal(err)
				}
				return b.String()
			}
			if got, want := enc(d), enc(m); got != want {
				t.Fatalf("html %v: got %s, want %s", html, got, want)
			}
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Detail
		if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back, DetailOf(mapOfJSON(t, b))) {
			t.Fatalf("read back %v (%v), want %v", back, err, d)
		}
	}
}

// mapOfJSON reads an object of strings as encoding/json reads it.
func mapOfJSON(t *testing.T, b []byte) map[string]string {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
