package intel

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func load(t *testing.T, name string) *Set {
	t.Helper()
	s := NewSet()
	n, err := LoadFile(s, filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("%s: no indicators", name)
	}
	return s
}

func TestFormats(t *testing.T) {
	tests := []struct {
		file  string
		check func(s *Set) bool
		what  string
	}{
		{"plain.txt", func(s *Set) bool { return s.Addr(netip.MustParseAddr("198.51.100.66")).Description == "c2 server" }, "ip with description"},
		{"plain.txt", func(s *Set) bool { return s.Addr(netip.MustParseAddr("203.0.113.9")) != nil }, "cidr"},
		{"plain.txt", func(s *Set) bool { return s.Domain("www.evil.example.") != nil && s.Domain("notevil.example") == nil }, "domain and parents"},
		{"plain.txt", func(s *Set) bool { return s.URL("BAD.example", "/payload.bin?x=1") != nil }, "url"},
		{"plain.txt", func(s *Set) bool { return s.Fingerprint(JA3, "72A589DA586844D7F0818CE684948EEA") != nil }, "ja3"},
		{"plain.txt", func(s *Set) bool { return s.Fingerprint(JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1") != nil }, "ja4"},
		{"plain.txt", func(s *Set) bool { return s.Fingerprint(Cert, "2a3b8ac6bdbd26e3f8c6bd32b8c04f07bd2a5b6d") != nil }, "cert sha1"},
		{"plain.txt", func(s *Set) bool { return s.Len() == 7 }, "count"},
		{"iocs.csv", func(s *Set) bool {
			return s.Addr(netip.MustParseAddr("192.0.2.77")).Description == "scanner" && s.Domain("tracker.example") != nil &&
				s.Fingerprint(JA3, "3b5074b1b5d032e5620f69f9f700ff0e") != nil
		}, "csv columns"},
		{"misp-event.json", func(s *Set) bool {
			return s.Addr(netip.MustParseAddr("192.0.2.10")) != nil && s.Addr(netip.MustParseAddr("192.0.2.99")) == nil &&
				s.Domain("a.emotet.example") != nil && s.Fingerprint(Cert, "aabbccddeeff00112233445566778899aabbccdd") != nil && s.Len() == 3
		}, "misp event (composite, to_ids, objects)"},
		{"misp-feed", func(s *Set) bool {
			return s.URL("drop.example", "/x/stage2") != nil && s.Domain("beacon.example").Description == "feed event"
		}, "misp feed directory"},
		{"stix-bundle.json", func(s *Set) bool {
			return s.Addr(netip.MustParseAddr("198.51.100.200")).Description == "C2 address" && s.Domain("stix-c2.example") != nil &&
				s.URL("stix-c2.example", "/gate.php") != nil && s.Fingerprint(Cert, "0123456789abcdef0123456789abcdef01234567") != nil &&
				s.Addr(netip.MustParseAddr("2001:db8:66::1")) != nil && s.Len() == 5
		}, "stix patterns"},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.what, func(t *testing.T) {
			if !tc.check(load(t, tc.file)) {
				t.Errorf("%s: %s did not match", tc.file, tc.what)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	for v, want := range map[string]Kind{"10.0.0.1": IP, "::1": IP, "10.0.0.0/8": CIDR, "a.example": Domain,
		"https://a.example/x": URL, "72a589da586844d7f0818ce684948eea": JA3,
		"t13d1516h2_8daaf6152771_e5627efa2ab1": JA4, "2a3b8ac6bdbd26e3f8c6bd32b8c04f07bd2a5b6d": Cert} {
		if got, ok := Detect(v); !ok || got != want {
			t.Errorf("Detect(%q) = %q, want %q", v, got, want)
		}
	}
	if _, ok := Detect("just words"); ok {
		t.Error("words detected as an indicator")
	}
}

func TestReload(t *testing.T) {
	p := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(p, []byte("192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	if changed, _ := f.Reload(); changed {
		t.Error("reloaded an unchanged file")
	}
	if err := os.WriteFile(p, []byte("192.0.2.1\n192.0.2.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, time.Now().Add(time.Second), time.Now().Add(time.Second))
	if changed, err := f.Reload(); !changed || err != nil {
		t.Fatalf("changed %v err %v", changed, err)
	}
	if f.Set().Addr(netip.MustParseAddr("192.0.2.2")) == nil {
		t.Error("new indicator not loaded")
	}
}
