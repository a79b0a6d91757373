package intel

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary feed files to each reader (the first byte picks
// plain, CSV or JSON) and checks that every indicator the set holds is
// found again by the lookup the engine uses for its kind.
func FuzzLoad(f *testing.F) {
	for i, name := range []string{"plain.txt", "iocs.csv", "misp-event.json", "stix-bundle.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{byte(min(i, 2))}, data...))
	}
	f.Add([]byte("\x00198.51.100.1\n*.evil.example.\nhttp://x.example/a?b\n10.0.0.0/8 c2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		s := NewSet()
		body := data[1:]
		switch data[0] % 3 {
		case 0:
			_ = readPlain(s, bytes.NewReader(body), "fuzz")
		case 1:
			_ = readCSV(s, bytes.NewReader(body), "fuzz")
		default:
			_ = readJSON(s, body, "feed.json", "fuzz")
		}
		checkFindable(t, s)
	})
}

// checkFindable fails when an indicator of s is not found by its lookup.
func checkFindable(t *testing.T, s *Set) {
	t.Helper()
	for a, ind := range s.addrs {
		if s.Addr(a) == nil {
			t.Errorf("ip %v (%q) not found", a, ind.Value)
		}
	}
	for _, m := range s.prefixes {
		for p, ind := range m {
			if s.Addr(p.Addr()) == nil {
				t.Errorf("cidr %v (%q) does not match its own address", p, ind.Value)
			}
		}
	}
	for name := range s.names {
		if s.Domain(name) == nil {
			t.Errorf("domain %q not found", name)
		}
	}
	for u := range s.urls {
		host, path, _ := cutHost(u)
		if s.URL(host, path) == nil {
			t.Errorf("url %q not found", u)
		}
	}
	for kind, m := range map[Kind]map[string]*Indicator{JA3: s.ja3, JA4: s.ja4, Cert: s.certs} {
		for v := range m {
			if s.Fingerprint(kind, v) == nil {
				t.Errorf("%s %q not found", kind, v)
			}
		}
	}
}

// cutHost splits a normalised URL into its host and the rest.
func cutHost(u string) (host, rest string, ok bool) {
	if i := bytes.IndexByte([]byte(u), '/'); i >= 0 {
		return u[:i], u[i:], true
	}
	return u, "", false
}
