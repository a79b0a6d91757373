package intel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostsFileLocalNames: a hosts file's own entries (localhost,
// broadcasthost, the IPv6 names, "0.0.0.0 0.0.0.0") are neither domain
// nor address indicators.
func TestHostsFileLocalNames(t *testing.T) {
	body := "127.0.0.1 localhost\n127.0.0.1 localhost.localdomain\n255.255.255.255 broadcasthost\n::1 ip6-localhost\n" +
		"fe80::1%lo0 localhost\nff02::1 ip6-allnodes\n0.0.0.0 0.0.0.0\n0.0.0.0 a.evil.example b.evil.example\n"
	s, n, err := loadBody(t, "hosts", body)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || s.Domain("a.evil.example") == nil || s.Domain("b.evil.example") == nil || len(s.addrs) != 0 {
		t.Errorf("%d indicators (names %v, addresses %d); want a.evil.example and b.evil.example only", n, sampleNames(s), len(s.addrs))
	}
}

// TestRejectedCounted: values that are not indicators are counted, not
// stored as domains.
func TestRejectedCounted(t *testing.T) {
	s := NewSet()
	body := "just words\n1.2.3\nevil..example\nexa mple.com,x\nok.example\n"
	if err := readPlain(s, strings.NewReader(body), "t"); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 || s.Rejected() != 4 || len(s.names) != 1 {
		t.Errorf("%d indicators (%v), %d rejected; want 1 and 4", s.Len(), sampleNames(s), s.Rejected())
	}
}

// TestCSVBadRowSkipped: a row CSV cannot parse is counted and the rows
// after it still load.
func TestCSVBadRowSkipped(t *testing.T) {
	s, n, err := loadBody(t, "x.csv", "ip,description\n192.0.2.1,a\"b\n192.0.2.2,ok\n")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || s.Rejected() != 1 || s.Addr(addr("192.0.2.2")) == nil {
		t.Errorf("%d indicators, %d rejected", n, s.Rejected())
	}
}

// TestBinaryFeedRefused: a binary file is an error, not junk indicators.
func TestBinaryFeedRefused(t *testing.T) {
	if _, n, err := loadBody(t, "feed.txt", "PK\x03\x04\x14\x00\x00\x00evil.example\n"); err == nil {
		t.Errorf("binary feed loaded (%d indicators)", n)
	}
}

// TestNormURLScheme: only a leading scheme is dropped.
func TestNormURLScheme(t *testing.T) {
	for in, want := range map[string]string{
		"HTTPS://Evil.Example/a?u=http://x/": "evil.example/a?u=http://x",
		"svn+ssh://h.example/r":              "h.example/r",
		"evil.example/r?u=http://x":          "evil.example/r?u=http://x",
		"1http://x.example/":                 "1http://x.example",
		"://x.example":                       "://x.example",
	} {
		if got := normURL(in); got != want {
			t.Errorf("normURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFailedReloadWaitsForChange: after a failed reload the feeds are not
// parsed again at every check, only once a file changes (its size or
// time, or a feed directory's listing).
func TestFailedReloadWaitsForChange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ips.txt")
	os.WriteFile(p, []byte("192.0.2.1\n"), 0o644)
	f, err := Open([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte{0x1f, 0x8b, 0, 1, 2, 3}, 0o644) // a cut gzip
	if tried, err := f.Reload(); !tried || err == nil {
		t.Fatalf("first reload of a broken feed: tried %v, error %v", tried, err)
	}
	if tried, _ := f.Reload(); tried {
		t.Error("an unchanged broken feed was parsed again")
	}
	os.WriteFile(p, []byte("192.0.2.2\n192.0.2.3\n"), 0o644)
	if tried, err := f.Reload(); !tried || err != nil || f.Set().Len() != 2 {
		t.Errorf("the repaired feed: tried %v, error %v, %d indicators", tried, err, f.Set().Len())
	}
}
