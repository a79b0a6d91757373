package conformance

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto/http"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// Suricata-verify floors, set just under the shares reached. The two
// http events not found (48/50) are deliberate Zeek differences and stay
// counted:
//   - tests/tcp-fastopen-03: the GET on port 55533 is on a connection whose
//     SYN is not in the capture (the test runs with stream.midstream=true);
//     Zeek runs no application analysis on such partial connections.
//   - tests/bug-4810: PPPoE with a one-byte (compressed) PPP protocol
//     field; Zeek's PPPoE analyzer reads two bytes, so the IP packet inside
//     is not found (the decoder follows Zeek).
const (
	suricataDNSFloor  = 0.995
	suricataHTTPFloor = 0.95
)

// suricataDNSExcluded are suricata-verify tests whose DNS is not plain DNS.
var suricataDNSExcluded = map[string]string{
	"tests/dns-over-http2":            "DNS over HTTPS (HTTP/2), not a DNS transport",
	"tests/dns-over-http2-post":       "DNS over HTTPS (HTTP/2), not a DNS transport",
	"tests/dns/dns-invalid-opcode":    "opcode Zeek does not track: Zeek writes no dns.log record",
	"tests/dns/v2/dns-invalid-opcode": "opcode Zeek does not track: Zeek writes no dns.log record",
}

// suricataHTTPExcluded are tests whose http events our (Zeek-like)
// analysis cannot produce by design; besides these, every tests/http2-*
// test is left out.
var suricataHTTPExcluded = map[string]string{}

const suricataHTTP2Why = "HTTP/2: checked by TestSuricataHTTP2 (http2_test.go)"

// suricataRuns runs the pipeline once per capture (several tests share
// one). Suricata validates checksums only where it finds them valid
// (checksum-validation: auto), so they are ignored here.
type suricataRuns struct {
	t     *testing.T
	root  string
	cache map[string][]Rec
	log   string
}

func (s *suricataRuns) records(pcap string) ([]Rec, bool) {
	path := filepath.Join(s.root, pcap)
	if _, err := os.Stat(path); err != nil {
		return nil, false
	}
	if recs, ok := s.cache[pcap]; ok {
		return recs, true
	}
	recs := pipelineLog(s.t, path, true, s.log)
	s.cache[pcap] = recs
	return recs, true
}

// eachCheck runs the pipeline on the capture of every test whose
// test.yaml parse finds checks in (skipping the excluded tests, with their
// reason), and calls visit with whether one record of the log holds every
// value of a check; field names a check's keys in the log (nil: the same).
func (s *suricataRuns) eachCheck(tests []SuricataTest, excluded map[string]string,
	parse func(yaml string) []map[string]string, field func(string) string,
	visit func(test string, chk map[string]string, found bool)) {
	for _, st := range tests {
		if why, ok := excluded[st.Test]; ok {
			s.t.Logf("excluded %s: %s", st.Test, why)
			continue
		}
		y, err := os.ReadFile(filepath.Join(s.root, st.Test, "test.yaml"))
		if err != nil {
			continue
		}
		checks := parse(string(y))
		if len(checks) == 0 {
			continue
		}
		recs, ok := s.records(st.Pcap)
		if !ok {
			s.t.Logf("excluded %s: capture missing", st.Test)
			continue
		}
		for _, chk := range checks {
			visit(st.Test, chk, recordHolds(recs, chk, field))
		}
	}
}

// recordHolds reports whether one of recs carries every value of chk.
func recordHolds(recs []Rec, chk map[string]string, field func(string) string) bool {
	for _, m := range recs {
		all := true
		for k, v := range chk {
			if field != nil {
				k = field(k)
			}
			if s, _ := m[k].(string); s != v {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func suricataTests(t *testing.T) (string, []SuricataTest) {
	root := testcorpus.Require(t, "suricata-verify")
	tests, err := ReadSuricataIndex(filepath.Join(root, "INDEX-tests.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	return root, tests
}

var rrnameRE = regexp.MustCompile(`^\s*-?\s*(dns\.queries\[0\]\.rrname|dns\.rrname|dns\.query\[0\]\.rrname):\s*(.+?)\s*$`)

// TestSuricataDNS checks that each query name suricata-verify expects in a
// dns event (dns.queries[0].rrname and the like) is the query of one of
// the pipeline's dns.log records on the same capture.
func TestSuricataDNS(t *testing.T) {
	root, tests := suricataTests(t)
	runs := &suricataRuns{t: t, root: root, cache: map[string][]Rec{}, log: "dns"}
	found, total := 0, 0
	for _, st := range tests {
		if !strings.Contains(st.Checks, "dns") {
			continue
		}
		if why, ok := suricataDNSExcluded[st.Test]; ok {
			t.Logf("excluded %s: %s", st.Test, why)
			continue
		}
		y, err := os.ReadFile(filepath.Join(root, st.Test, "test.yaml"))
		if err != nil {
			continue
		}
		var want []string
		for _, l := range strings.Split(string(y), "\n") {
			if m := rrnameRE.FindStringSubmatch(l); m != nil {
				want = append(want, strings.ToLower(unquote(m[2])))
			}
		}
		if len(want) == 0 {
			continue
		}
		recs, ok := runs.records(st.Pcap)
		if !ok {
			continue
		}
		have := map[string]bool{}
		for _, m := range recs {
			if q, ok := m["query"].(string); ok {
				have[strings.ToLower(q)] = true
			}
		}
		n := 0
		var miss []string
		for _, w := range want {
			if have[w] {
				n++
			} else {
				miss = append(miss, w)
			}
		}
		found += n
		total += len(want)
		if len(miss) > 0 {
			t.Logf("%s: %d/%d; missing %q", st.Test, n, len(want), miss)
		}
	}
	if total == 0 {
		t.Skip("no suricata-verify dns tests found")
	}
	share := float64(found) / float64(total)
	t.Logf("suricata-verify dns rrname: %d/%d (%.1f%%)", found, total, 100*share)
	if share < suricataDNSFloor {
		t.Errorf("agreement %.1f%% below the floor %.1f%%", 100*share, 100*suricataDNSFloor)
	}
}

// suricataHTTPEvent is one http event a suricata-verify test asserts.
type suricataHTTPEvent struct{ host, url string }

// readSuricataHTTP extracts, from a test.yaml, the filters on event_type
// http that check http.hostname and/or http.url (a small line reader: the
// files are regular enough).
func readSuricataHTTP(path string) []suricataHTTPEvent {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []suricataHTTPEvent
	var cur suricataHTTPEvent
	isHTTP := false
	flush := func() {
		if isHTTP && (cur.host != "" || cur.url != "") {
			out = append(out, cur)
		}
		cur, isHTTP = suricataHTTPEvent{}, false
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
// expects (hostname, url) the pipeline logs a transaction with that host
// and URI (Zeek's URI is unescaped, so the expected URL is unescaped the
// same way).
func TestSuricataHTTP(t *testing.T) {
	root, tests := suricataTests(t)
	runs := &suricataRuns{t: t, root: root, cache: map[string][]Rec{}, log: "http"}
	var agree, total int
	for _, st := range tests {
		if why, ok := suricataHTTPExcluded[st.Test]; ok || strings.HasPrefix(st.Test, "tests/http2-") {
			if !ok {
				why = suricataHTTP2Why
			}
			t.Logf("excluded %s: %s", st.Test, why)
			continue
		}
		exp := readSuricataHTTP(filepath.Join(root, st.Test, "test.yaml"))
		if len(exp) == 0 {
			continue
		}
		recs, ok := runs.records(st.Pcap)
		if !ok {
			continue
		}
		n := 0
		for _, e := range exp {
			for _, r := range recs {
				h, _ := r["host"].(string)
				u, _ := r["uri"].(string)
				if (e.host == "" || suricataHost(h) == e.host) &&
					(e.url == "" || u == http.UnescapeURI(e.url)) {
					n++
					break
				}
			}
		}
		if n < len(exp) {
			t.Logf("%s: %d/%d expected http events found", st.Test, n, len(exp))
		}
		agree += n
		total += len(exp)
	}
	if total == 0 {
		t.Skip("no suricata-verify http tests found")
	}
	share := float64(agree) / float64(total)
	t.Logf("suricata-verify http: %d/%d expected (hostname, url) found (%.1f%%)", agree, total, 100*share)
	if share < suricataHTTPFloor {
		t.Errorf("agreement %.1f%% below the floor %.1f%%", 100*share, 100*suricataHTTPFloor)
	}
}
