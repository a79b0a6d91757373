package http

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// suricataExpect is one http event a suricata-verify test asserts.
type suricataExpect struct{ host, url string }

// readSuricataHTTP extracts, from a test.yaml, the filters on event_type
// http that check http.hostname and/or http.url (a small line reader: the
// files are regular enough).
func readSuricataHTTP(path string) []suricataExpect {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []suricataExpect
	var cur suricataExpect
	isHTTP := false
	flush := func() {
		if isHTTP && (cur.host != "" || cur.url != "") {
			out = append(out, cur)
		}
		cur, isHTTP = suricataExpect{}, false
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "- filter:"):
			flush()
		case l == "event_type: http":
			isHTTP = true
		case strings.HasPrefix(l, "http.hostname:"):
			cur.host = unquote(strings.TrimSpace(strings.TrimPrefix(l, "http.hostname:")))
		case strings.HasPrefix(l, "http.url:"):
			cur.url = unquote(strings.TrimSpace(strings.TrimPrefix(l, "http.url:")))
		}
	}
	flush()
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// suricataHost is Suricata's http.hostname of a Host header: lower case,
// without the port.
func suricataHost(h string) string {
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[:i+1]
		}
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	return h
}

// TestSuricataHTTP checks that for each http event a suricata-verify test
// expects (hostname, url) we log a transaction with that host and URI
// (Zeek's URI is unescaped, so the expected URL is unescaped the same way).
func TestSuricataHTTP(t *testing.T) {
	root := testcorpus.Require(t, "suricata-verify")
	rows := readIndex(t, filepath.Join(root, "INDEX-tests.tsv"))
	var agree, total int
	for _, r := range rows {
		// rows: test, pcap, checks (readIndex's trace, dir, files).
		test, pcap := r.trace, r.dir
		if why, ok := suricataExclusions[test]; ok || strings.HasPrefix(test, "tests/http2-") {
			if !ok {
				why = "HTTP/2 (h2, or h2c after an upgrade where Zeek stops at the 101): not HTTP/1.x"
			}
			t.Logf("excluded %s: %s", test, why)
			continue
		}
		exp := readSuricataHTTP(filepath.Join(root, test, "test.yaml"))
		if len(exp) == 0 {
			continue
		}
		pcapPath := filepath.Join(root, pcap)
		if _, err := os.Stat(pcapPath); err != nil {
			continue
		}
		recs := runCapture(t, pcapPath)
		var ok, n int
		for _, e := range exp {
			n++
			for _, r := range recs {
				h, _ := r["host"].(string)
				u, _ := r["uri"].(string)
				if (e.host == "" || suricataHost(h) == e.host) &&
					(e.url == "" || u == string(unescapeURI(nil, []byte(e.url)))) {
					ok++
					break
				}
			}
		}
		if ok < n {
			t.Logf("%s: %d/%d expected http events found", test, ok, n)
		}
		agree += ok
		total += n
	}
	if total == 0 {
		t.Skip("no suricata-verify http tests found")
	}
	share := float64(agree) / float64(total)
	t.Logf("suricata-verify: %d/%d expected (hostname, url) found (%.1f%%)", agree, total, 100*share)
	if share < minSuricataAgreement {
		t.Errorf("agreement %.1f%% below the floor %.1f%%", 100*share, 100*minSuricataAgreement)
	}
}

// suricataExclusions are tests whose http events our (Zeek-like) analysis
// cannot produce by design.
var suricataExclusions = map[string]string{}

// minSuricataAgreement is set just under the share reached.
const minSuricataAgreement = 0.95
