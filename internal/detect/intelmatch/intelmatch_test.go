package intelmatch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

func TestMatches(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "feed.txt")
	os.WriteFile(feed, []byte("198.51.100.66 c2\nevil.example\n72a589da586844d7f0818ce684948eea\n"), 0o644)
	d, err := New(Config{Enabled: true, Feeds: []string{feed}})
	if err != nil {
		t.Fatal(err)
	}
	lines := []dt.Line{
		dt.Conn{TS: 1000, Src: "10.0.0.7", SrcP: 5000, Dst: "198.51.100.66", DstP: 443}.Line(),
		dt.Rec("dns", map[string]any{"ts": 1001.0, "uid": "D", "id.orig_h": "10.0.0.8", "id.orig_p": 5000, "id.resp_h": "10.0.0.53", "id.resp_p": 53, "query": "www.evil.example"}),
		dt.Rec("ssl", map[string]any{"ts": 1002.0, "uid": "S", "id.orig_h": "10.0.0.9", "id.orig_p": 5000, "id.resp_h": "203.0.113.1", "id.resp_p": 443, "ja3": "72A589DA586844D7F0818CE684948EEA"}),
		dt.Conn{TS: 1003, Src: "10.0.0.7", SrcP: 5001, Dst: "93.184.216.34", DstP: 443}.Line(),
	}
	alerts := dt.Merged(dt.Run(t, d, lines))
	if len(alerts) != 3 {
		for _, a := range alerts {
			t.Log(string(a.JSON()))
		}
		t.Fatalf("got %d alerts, want 3", len(alerts))
	}
	if alerts[0].Dst != "198.51.100.66" || alerts[1].Src != "10.0.0.8" || alerts[2].Evidence["kind"] != "ja3" {
		t.Errorf("alerts %s / %s / %s", alerts[0].JSON(), alerts[1].JSON(), alerts[2].JSON())
	}
}

func TestQuietWithoutFeeds(t *testing.T) {
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dt.Quiet(t, dt.Run(t, d, []dt.Line{dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "198.51.100.66", DstP: 443}.Line()}))
}

// TestCertificateSHA1AndQUIC: SHA-1 certificate indicators match ssl.log
// cert_chain_fps_sha1 and x509.log fingerprint_sha1; quic.log server names
// and JA4 are matched.
func TestCertificateSHA1AndQUIC(t *testing.T) {
	const sha1 = "e2fb0771ee6fc0d0e324bc863c02b57921257c86"
	feed := filepath.Join(t.TempDir(), "feed.txt")
	os.WriteFile(feed, []byte(sha1+"\nquic-c2.example\nq13d0311h3_55b375c5d22e_3512bcbbc9ec\n"), 0o644)
	d, err := New(Config{Enabled: true, Feeds: []string{feed}})
	if err != nil {
		t.Fatal(err)
	}
	id := func(ts float64, uid string, m map[string]any) map[string]any {
		m["ts"], m["uid"], m["id.orig_h"], m["id.orig_p"], m["id.resp_h"], m["id.resp_p"] = ts, uid, "10.0.0.9", 5000, "203.0.113.1", 443
		return m
	}
	lines := []dt.Line{
		dt.Rec("ssl", id(1000, "S", map[string]any{"cert_chain_fps": []string{"00"}, "cert_chain_fps_sha1": []string{sha1}})),
		dt.Rec("x509", map[string]any{"ts": 1001.0, "fingerprint": "11", "fingerprint_sha1": sha1, "certificate.subject": "CN=x"}),
		dt.Rec("quic", id(1002, "Q1", map[string]any{"server_name": "www.quic-c2.example"})),
		dt.Rec("quic", map[string]any{"ts": 1003.0, "uid": "Q2", "id.orig_h": "10.0.0.10", "id.orig_p": 5001, "id.resp_h": "203.0.113.2",
			"id.resp_p": 443, "ja4": "q13d0311h3_55b375c5d22e_3512bcbbc9ec"}),
	}
	got := map[string]int{}
	for _, a := range dt.Run(t, d, lines) {
		got[a.Evidence["log"].(string)+"/"+a.Evidence["kind"].(string)]++
	}
	for _, want := range []string{"ssl/cert", "x509/cert", "quic/domain", "quic/ja4"} {
		if got[want] == 0 {
			t.Errorf("no %s alert (got %v)", want, got)
		}
	}
}

// TestReloadFailureReported: a feed that fails to reload is reported by
// Problems (once per distinct error, with the number of tries) until it
// loads again; it is tried again when the file changes, not at every
// check (a broken million-line feed would be parsed every 10 s).
func TestReloadFailureReported(t *testing.T) {
	feed := filepath.Join(t.TempDir(), "feed.json")
	os.WriteFile(feed, []byte(`{"Event": {"info": "x", "Attribute": [{"type": "ip-dst", "value": "192.0.2.1"}]}}`), 0o644)
	d, err := New(Config{Enabled: true, Feeds: []string{feed}})
	if err != nil {
		t.Fatal(err)
	}
	for i, broken := range []string{`{"Event": `, `{"Event":  `} {
		os.WriteFile(feed, []byte(broken), 0o644)
		for range 2 { // the second check finds nothing changed
			d.lastCheck = time.Time{}
			d.Flush(0, nil)
		}
		if p := d.Problems(); len(p) != 1 || !strings.Contains(p[0], fmt.Sprintf("%d tries", i+1)) || d.Indicators() != 1 {
			t.Errorf("after %d failed reloads: problems %q, %d indicators", i+1, p, d.Indicators())
		}
	}
	os.WriteFile(feed, []byte(`{"Event": {"info": "x", "Attribute": [{"type": "ip-dst", "value": "192.0.2.2"}, {"type": "ip-dst", "value": "1.2.3"}]}}`), 0o644)
	d.lastCheck = time.Time{}
	d.Flush(0, nil)
	if p := d.Problems(); len(p) != 1 || !strings.Contains(p[0], "1 values passed over") || d.ReloadErr != nil {
		t.Errorf("after the feed was repaired: problems %q, reload error %v", p, d.ReloadErr)
	}
}

// TestDNSMatchNamesResolvedAddresses: a DNS lookup that matches (its query
// or an answer) names the addresses the answer gave among the alert's
// destinations, beside the resolver it went to: they are the listed
// infrastructure the host is about to reach (and, for an answer that
// matched, the indicator itself), which incidents and the eval tie to the
// connections that follow. A lookup with no address in its answer (a
// name only, NXDOMAIN) names the resolver alone.
func TestDNSMatchNamesResolvedAddresses(t *testing.T) {
	feed := filepath.Join(t.TempDir(), "feed.txt")
	os.WriteFile(feed, []byte("dl.listed.example\n198.51.100.66\n"), 0o644)
	d, err := New(Config{Enabled: true, Feeds: []string{feed}})
	if err != nil {
		t.Fatal(err)
	}
	dns := func(ts float64, src, query string, answers ...string) dt.Line {
		return dt.Rec("dns", map[string]any{"ts": ts, "uid": "D", "id.orig_h": src, "id.orig_p": 5000, "id.resp_h": "10.0.0.53",
			"id.resp_p": 53, "query": query, "answers": answers})
	}
	cases := []struct {
		line dt.Line
		want []string
	}{
		{dns(1000, "10.0.0.8", "dl.listed.example", "cdn.other.example", "203.0.113.10", "2001:db8:ff::10"), []string{"203.0.113.10", "2001:db8:ff::10"}},
		{dns(1001, "10.0.0.9", "www.unlisted.example", "198.51.100.66", "198.51.100.67"), []string{"198.51.100.66", "198.51.100.67"}},
		{dns(1002, "10.0.0.10", "dl.listed.example"), nil},
		{dns(1003, "10.0.0.11", "x.dl.listed.example", "other.example"), nil},
	}
	for _, c := range cases {
		alerts := dt.Run(t, d, []dt.Line{c.line})
		if len(alerts) != 1 {
			t.Fatalf("%d alerts for %v", len(alerts), c.line)
		}
		if a := alerts[0]; a.Dst != "10.0.0.53" || !slices.Equal(a.Dsts, c.want) {
			t.Errorf("%s: dst %s, dsts %q; want the resolver and %q", a.Summary, a.Dst, a.Dsts, c.want)
		}
	}
}
