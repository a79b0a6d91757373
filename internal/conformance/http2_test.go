package conformance

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/proto/http"
)

// suricataHTTP2Floor is set just under the share of suricata-verify's
// HTTP/2 transaction expectations our http.log meets.
const suricataHTTP2Floor = 0.99

// suricataH2Filter is one filter of a test.yaml on http events: the fields
// a transaction must have (Suricata's names), and its expected count.
type suricataH2Filter struct {
	count  int
	fields map[string]string
}

// readSuricataH2 reads a test.yaml's filters on event_type http (a small
// line reader, like readSuricataHTTP).
func readSuricataH2(path string) (filters []suricataH2Filter, midstream bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var cur *suricataH2Filter
	isHTTP := false
	flush := func() {
		if cur != nil && isHTTP {
			filters = append(filters, *cur)
		}
		cur, isHTTP = nil, false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.Contains(l, "stream.midstream=true") {
			midstream = true
		}
		switch {
		case strings.HasPrefix(l, "- filter:"):
			flush()
			cur = &suricataH2Filter{count: -1, fields: map[string]string{}}
		case cur == nil:
		case strings.HasPrefix(l, "count:"):
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(l, "count:")), &cur.count)
		case strings.HasPrefix(l, "event_type:"):
			isHTTP = unquote(strings.TrimSpace(strings.TrimPrefix(l, "event_type:"))) == "http"
		case strings.HasPrefix(l, "http."):
			k, v, ok := strings.Cut(l, ":")
			if ok {
				cur.fields[k] = unquote(strings.TrimSpace(v))
			}
		case strings.HasPrefix(l, "- ") && !strings.HasPrefix(l, "- filter:"):
			flush() // another kind of check
		}
	}
	flush()
	return filters, midstream
}

// h2Match says whether our record r meets the Suricata fields we can
// compare; Suricata's HTTP/1 version is "HTTP/1.1", ours "1.1".
func h2Match(r Rec, fields map[string]string) bool {
	str := func(k string) string { return fmt.Sprint(r[k]) }
	for k, v := range fields {
		var ok bool
		switch k {
		case "http.url":
			ok = str("uri") == http.UnescapeURI(v)
		case "http.hostname":
			h, _ := r["host"].(string)
			ok = suricataHost(h) == v
		case "http.status":
			ok = str("status_code") == v
		case "http.http_method":
			ok = str("method") == v
		case "http.version":
			ok = str("version") == strings.TrimPrefix(v, "HTTP/")
		case "http.length":
			ok = str("response_body_len") == v
		case "http.http_user_agent":
			ok = str("user_agent") == v
		default:
			ok = true // headers as Suricata lists them, stream ids, settings
		}
		if !ok {
			return false
		}
	}
	return true
}

// TestSuricataHTTP2 checks http.log against the http transactions that
// suricata-verify's HTTP/2 tests expect (url, hostname, status, method,
// version, body length, user agent): prior-knowledge h2c, h2c upgrades
// (the 101 is an HTTP/1 record, the upgraded request stream 1), and h2
// captures stored decrypted. Connection-level events (stream 0: SETTINGS,
// GOAWAY) have no http.log counterpart and are left out; so are filters
// that expect no event.
func TestSuricataHTTP2(t *testing.T) {
	root, tests := suricataTests(t)
	type run struct {
		http []Rec
		tls  bool
	}
	runs := map[string]run{}
	var agree, total int
	for _, st := range tests {
		if !strings.Contains(st.Test, "http2") && !strings.Contains(st.Pcap, "http2") {
			continue
		}
		filters, midstream := readSuricataH2(filepath.Join(root, st.Test, "test.yaml"))
		var checks []suricataH2Filter
		for _, f := range filters {
			if f.count == 0 || f.fields["http.http2.stream_id"] == "0" {
				continue
			}
			checks = append(checks, f)
		}
		if len(checks) == 0 {
			continue
		}
		pcap := filepath.Join(root, st.Pcap)
		if _, err := os.Stat(pcap); err != nil {
			t.Logf("%s: capture missing", st.Test)
			continue
		}
		key := fmt.Sprint(st.Pcap, midstream)
		r, ok := runs[key]
		if !ok {
			dir := runPipelineWith(t, pcap, func(cfg *analyze.Config) {
				cfg.Flow.IgnoreChecksums = true
				cfg.Midstream = midstream // Suricata's stream.midstream
			})
			var err error
			if r.http, err = ReadJSONLog(filepath.Join(dir, "http.log")); err != nil {
				t.Fatal(err)
			}
			ssl, err := ReadJSONLog(filepath.Join(dir, "ssl.log"))
			if err != nil {
				t.Fatal(err)
			}
			r.tls = len(ssl) > 0 && len(r.http) == 0
			runs[key] = r
		}
		if r.tls {
			t.Logf("excluded %s: TLS-encrypted HTTP/2 (h2), not cleartext", st.Test)
			continue
		}
		n := 0
		for _, f := range checks {
			if len(f.fields) == 0 && f.count > 0 {
				// Only a count: Suricata's includes stream-0 events.
				t.Logf("%s: Suricata expects %d http events (stream 0 included); http.log has %d records",
					st.Test, f.count, len(r.http))
			}
			found := false
			for _, rec := range r.http {
				if h2Match(rec, f.fields) {
					found = true
					break
				}
			}
			if found {
				n++
			} else {
				t.Logf("%s: no record with %v", st.Test, f.fields)
			}
		}
		agree += n
		total += len(checks)
	}
	if total == 0 {
		t.Skip("no suricata-verify HTTP/2 http expectations found")
	}
	share := float64(agree) / float64(total)
	t.Logf("suricata-verify HTTP/2 http: %d/%d expected transactions found (%.1f%%)", agree, total, 100*share)
	if share < suricataHTTP2Floor {
		t.Errorf("agreement %.1f%% below the floor %.1f%%", 100*share, 100*suricataHTTP2Floor)
	}
}
