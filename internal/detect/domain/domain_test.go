package domain

import "testing"

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
