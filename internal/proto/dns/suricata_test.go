package dns

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// suricataExcluded are suricata-verify tests whose DNS is not plain DNS.
var suricataExcluded = map[string]string{
	"tests/dns-over-http2":            "DNS over HTTPS (HTTP/2), not a DNS transport",
	"tests/dns-over-http2-post":       "DNS over HTTPS (HTTP/2), not a DNS transport",
	"tests/dns/dns-invalid-opcode":    "opcode Zeek does not track: Zeek writes no dns.log record",
	"tests/dns/v2/dns-invalid-opcode": "opcode Zeek does not track: Zeek writes no dns.log record",
}

var rrnameRE = regexp.MustCompile(`^\s*-?\s*(dns\.queries\[0\]\.rrname|dns\.rrname|dns\.query\[0\]\.rrname):\s*(.+?)\s*$`)

// TestSuricataRRName checks that each query name suricata-verify expects
// in a dns event (dns.queries[0].rrname) is the query of one of our
// records on the same capture.
func TestSuricataRRName(t *testing.T) {
	dir := testcorpus.Require(t, "suricata-verify")
	f, err := os.Open(filepath.Join(dir, "INDEX-tests.tsv"))
	if err != nil {
		t.Skipf("no index: %v", err)
	}
	defer f.Close()
	found, total := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || strings.HasPrefix(cols[0], "#") || !strings.Contains(cols[2], "dns") {
			continue
		}
		if why, ok := suricataExcluded[cols[0]]; ok {
			t.Logf("excluded %s: %s", cols[0], why)
			continue
		}
		y, err := os.ReadFile(filepath.Join(dir, cols[0], "test.yaml"))
		if err != nil {
			continue
		}
		var want []string
		for _, l := range strings.Split(string(y), "\n") {
			if m := rrnameRE.FindStringSubmatch(l); m != nil {
				want = append(want, strings.ToLower(strings.Trim(m[2], `"'`)))
			}
		}
		if len(want) == 0 {
			continue
		}
		pcap := filepath.Join(dir, cols[1])
		if _, err := os.Stat(pcap); err != nil {
			continue
		}
		have := map[string]bool{}
		for _, m := range runTrace(t, pcap, false) {
			if q, ok := m["query"].(string); ok {
				have[strings.ToLower(q)] = true
			}
		}
		ok := 0
		var miss []string
		for _, w := range want {
			if have[w] {
				ok++
			} else {
				miss = append(miss, w)
			}
		}
		found += ok
		total += len(want)
		if len(miss) > 0 {
			t.Logf("%s: %d/%d; missing %q", cols[0], ok, len(want), miss)
		}
	}
	share := float64(found) / float64(max(total, 1))
	t.Logf("suricata-verify rrname: %d/%d = %s", found, total, fmt.Sprintf("%.1f%%", 100*share))
	if share < suricataFloor {
		t.Errorf("agreement %.3f below floor %.2f", share, suricataFloor)
	}
}
