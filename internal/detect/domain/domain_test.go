package domain

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/net/publicsuffix"
)

func TestRegistered(t *testing.T) {
	for _, tc := range []struct{ in, reg, sub string }{
		{"www.example.com.", "example.com", "www"},
		{"a.b.example.co.uk", "example.co.uk", "a.b"},
		{"example.com", "example.com", ""},
		{"com", "com", ""},
		{"x..Hidemyself.org.", "Hidemyself.org", "x"},
		{"q+Z8/A.hidemyself.org", "hidemyself.org", "q+Z8/A"},
		{"a.b.ẞ", "b.ẞ", "a"}, // the suffix is shorter lower-cased (ß)
		{"x.y.\xff", "y.\xff", "x"},
	} {
		reg, sub := Registered(tc.in)
		if reg != tc.reg || sub != tc.sub {
			t.Errorf("Registered(%q) = %q, %q; want %q, %q", tc.in, reg, sub, tc.reg, tc.sub)
		}
	}
}

func TestEntropy(t *testing.T) {
	if e := Entropy("aaaa"); e != 0 {
		t.Errorf("Entropy(aaaa) = %v", e)
	}
	if e := Entropy("abcd"); e != 2 {
		t.Errorf("Entropy(abcd) = %v", e)
	}
}

func TestRegisteredICANN(t *testing.T) {
	for _, tc := range []struct{ in, reg, sub string }{
		{"www.example.com.", "example.com", "www"},
		{"d1gzewjq6luteh.cloudfront.net", "cloudfront.net", "d1gzewjq6luteh"},
		{"alb-x-95161440.us-east-1.elb.amazonaws.com", "amazonaws.com", "alb-x-95161440.us-east-1.elb"},
		{"a.b.example.co.uk", "example.co.uk", "a.b"},
		{"printer.local", "printer.local", ""},
		{"com", "com", ""},
	} {
		reg, sub := RegisteredICANN(tc.in)
		if reg != tc.reg || sub != tc.sub {
			t.Errorf("RegisteredICANN(%q) = %q, %q; want %q, %q", tc.in, reg, sub, tc.reg, tc.sub)
		}
	}
}

func TestPublic(t *testing.T) {
	for name, want := range map[string]bool{
		"www.example.com": true, "example.co.uk.": true, "d1x.cloudfront.net": true, "x.EXAMPLE.ORG": true, "t.evil.example": true, "lab.test": true,
		"gyetxvitiymmdc": false, "printer.local": false, "_ipp._tcp.local": false, "nas.lan": false,
		"router.home.arpa": false, "db.corp.internal": false, "com": false, ".com": false, "example.": false, "": false,
	} {
		if got := Public(name); got != want {
			t.Errorf("Public(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestServiceName(t *testing.T) {
	for name, want := range map[string]bool{
		"_ipp._tcp.local": true, "Office._airplay._TCP.local": true, "_ldap._tcp.dc._msdcs.example.com": true,
		"_dmarc.example.com": false, "tcp.example.com": false, "x_tcp.example.com": false, "": false,
	} {
		if got := ServiceName(name); got != want {
			t.Errorf("ServiceName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestLabelsEntropy(t *testing.T) {
	if e := LabelsEntropy("ab.cd"); e != 2 {
		t.Errorf("LabelsEntropy(ab.cd) = %v", e)
	}
	if e := LabelsEntropy("..."); e != 0 {
		t.Errorf("LabelsEntropy(...) = %v", e)
	}
}

// TestEntropySumsAsBefore: entropy's sum over the bytes present is, to
// the bit, the sum over all 256 counts (entropyOfAll, the one before), on
// random strings of few and many distinct bytes, dots skipped or not.
func TestEntropySumsAsBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20_000 {
		b := make([]byte, rng.IntN(300))
		span := []int{2, 16, 37, 64, 256}[i%5]
		for j := range b {
			b[j] = byte(rng.IntN(span) * (256 / span))
		}
		s := string(b)
		for _, skip := range []int{-1, '.', 0} {
			if got, want := entropy(s, skip), entropyOfAll(s, skip); got != want {
				t.Fatalf("entropy(%q, %d) = %v, want %v", s, skip, got, want)
			}
		}
	}
}

// entropyOfAll is entropy as it was: the terms of all 256 counts, in
// order.
func entropyOfAll(s string, skip int) float64 {
	var counts [256]int
	total := 0
	for i := 0; i < len(s); i++ {
		if int(s[i]) != skip {
			counts[s[i]]++
			total++
		}
	}
	if total == 0 {
		return 0
	}
	n := float64(total)
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

func BenchmarkLabelsEntropy(b *testing.B) {
	names := []string{"www.example.com", "x7fk2j3qpl9z0mnbv8c4.tunnel3", "aGVsbG8gd29ybGQgdGhpcyBpcyBhIHR1bm5lbA.t"}
	for i := range b.N {
		LabelsEntropy(names[i%len(names)])
	}
}

// TestICANNTLDAsTheList: icannTLD answers as the Public Suffix List does,
// from its table of recent answers too: known, private-section and
// unknown top-level domains, many more than the table has slots, each
// asked twice.
func TestICANNTLDAsTheList(t *testing.T) {
	tlds := []string{"com", "org", "uk", "de", "arpa", "example", "local", "lan", "zz", "xn--p1ai", "blogspot", "io", "bar"}
	for i := range 2000 {
		tlds = append(tlds, fmt.Sprintf("t%x", i))
	}
	for range 2 {
		for _, tld := range tlds {
			_, want := publicsuffix.PublicSuffix(tld)
			if got := icannTLD(tld); got != want {
				t.Fatalf("icannTLD(%q) = %v, the list says %v", tld, got, want)
			}
		}
	}
	if !icannTLD("com") || icannTLD("local") {
		t.Error("com is not ICANN, or local is")
	}
}
