package conformance

import (
	"encoding/json"
	"fmt"
	"github.com/vigil-nsm/vigil/internal/analyze"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// jaTally counts agreeing and compared values of one fingerprint check.
type jaTally struct {
	agree, total int
	perTrace     map[string][2]int
}

func (c *jaTally) add(trace string, ok bool) {
	if c.perTrace == nil {
		c.perTrace = map[string][2]int{}
	}
	p := c.perTrace[trace]
	p[1]++
	c.total++
	if ok {
		p[0]++
		c.agree++
	}
	c.perTrace[trace] = p
}

// report logs the per-trace and overall figures and fails when not every
// compared value agrees.
func (c *jaTally) report(t *testing.T, name string) {
	t.Helper()
	var names []string
	for n := range c.perTrace {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := c.perTrace[n]
		t.Logf("%s: %d/%d", n, p[0], p[1])
	}
	t.Logf("overall %s: %d/%d", name, c.agree, c.total)
	if c.total == 0 {
		t.Errorf("%s: nothing compared", name)
	} else if c.agree < c.total {
		t.Errorf("%s: %d of %d values differ", name, c.total-c.agree, c.total)
	}
}

// ja4Want is one expected client JA4 of a connection.
type ja4Want struct {
	src, dst, sport, dport, ja4 string
}

// foxioTCPStreams reads the client ja4 of each tcp stream of one of
// FoxIO's insta snapshots.
func foxioTCPStreams(t *testing.T, path string) []ja4Want {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []ja4Want
	var cur map[string]string
	flush := func() {
		if cur != nil && cur["transport"] == "tcp" && cur["ja4"] != "" {
			out = append(out, ja4Want{cur["src"], cur["dst"], cur["src_port"], cur["dst_port"], cur["ja4"]})
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "- stream:") {
			flush()
			cur = map[string]string{}
			continue
		}
		if cur == nil || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			if _, dup := cur[k]; !dup {
				cur[k] = strings.Trim(strings.TrimSpace(v), `'"`)
			}
		}
	}
	flush()
	return out
}

// ja4Excluded are FoxIO captures whose TLS is not compared, with the
// reason. TLS inside HTTP CONNECT (https-connect.pcap), SOCKS4
// (socks4-https.pcap) and SOCKS5 (socks-https-example.pcap) is compared:
// the HTTP and SOCKS analyzers hand the tunnel over.
var ja4Excluded = map[string]string{}

// tupleKey is a record's connection tuple.
func tupleKey(m Rec) string {
	return fmt.Sprintf("%v|%v|%v|%v", m["id.orig_h"], m["id.orig_p"], m["id.resp_h"], m["id.resp_p"])
}

// ja4Compare adds, for each expected JA4, whether the ssl.log record of
// its connection (either direction of the tuple) in the pipeline's output
// dir carries it.
func ja4Compare(t *testing.T, c *jaTally, trace, out string, want []ja4Want) {
	recs, err := ReadJSONLog(filepath.Join(out, "ssl.log"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range recs {
		if j, ok := m["ja4"].(string); ok {
			got[tupleKey(m)] = j
		}
	}
	for _, w := range want {
		k := fmt.Sprintf("%s|%s|%s|%s", w.src, w.sport, w.dst, w.dport)
		g, ok := got[k]
		if !ok {
			k = fmt.Sprintf("%s|%s|%s|%s", w.dst, w.dport, w.src, w.sport)
			g, ok = got[k]
		}
		if !ok || g != w.ja4 {
			t.Logf("differs: %s %s: want %s got %q", trace, k, w.ja4, g)
		}
		c.add(trace, ok && g == w.ja4)
	}
}

// runFoxIO runs the pipeline in --midstream mode: FoxIO's captures are
// handshake-only exports (no SYN), and FoxIO's tools fingerprint every
// ClientHello; by default Vigil, like Zeek, parses no TLS on connections
// whose start was not captured.
func runFoxIO(t *testing.T, trace string) string {
	return runPipelineWith(t, trace, func(cfg *analyze.Config) {
		cfg.Flow.IgnoreChecksums = true
		cfg.Midstream = true
	})
}

// TestFoxIOJA4Rust compares the client JA4 of the tcp streams of FoxIO's
// rust insta snapshots with ssl.log (their udp streams are QUIC:
// TestFoxIOQUIC).
func TestFoxIOJA4Rust(t *testing.T) {
	root := testcorpus.Require(t, "foxio-ja4")
	snaps, _ := filepath.Glob(filepath.Join(root, "rust/ja4/src/snapshots/ja4__insta@*.snap"))
	var c jaTally
	for _, s := range snaps {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(s), "ja4__insta@"), ".snap")
		want := foxioTCPStreams(t, s)
		if len(want) == 0 {
			continue
		}
		if why, ok := ja4Excluded[name]; ok {
			t.Logf("excluded %s: %s", name, why)
			continue
		}
		trace := filepath.Join(root, "pcap", name)
		if _, err := os.Stat(trace); err != nil {
			t.Logf("excluded %s: capture missing", name)
			continue
		}
		ja4Compare(t, &c, name, runFoxIO(t, trace), want)
	}
	c.report(t, "foxio ja4 (rust snapshots)")
}

// TestFoxIOJA4Python compares the client JA4 of TLS over TCP ("t"
// fingerprints) in FoxIO's python testdata with ssl.log. The testdata has
// no QUIC ("q") fingerprints (QUIC: TestFoxIOQUIC); nor DTLS ("d") ones: no FoxIO vector covers
// Vigil's DTLS JA4, which follows the specification.
func TestFoxIOJA4Python(t *testing.T) {
	root := testcorpus.Require(t, "foxio-ja4")
	files, _ := filepath.Glob(filepath.Join(root, "python/test/testdata/*.json"))
	var c jaTally
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var entries []map[string]any
		if err := json.Unmarshal(data, &entries); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var want []ja4Want
		for _, e := range entries {
			// "JA4.1" is the first ClientHello's JA4, "JA4.2" the second's
			// (after a HelloRetryRequest). Vigil logs the first hello's,
			// as FoxIO's Rust tool does (its snapshots of the same
			// captures), so the first is compared.
			j, _ := e["JA4.1"].(string)
			if j == "" {
				j, _ = e["JA4"].(string)
			}
			if strings.HasPrefix(j, "t") {
				want = append(want, ja4Want{fmt.Sprint(e["src"]), fmt.Sprint(e["dst"]), fmt.Sprint(e["srcport"]), fmt.Sprint(e["dstport"]), j})
			}
		}
		if len(want) == 0 {
			continue
		}
		if why, ok := ja4Excluded[name]; ok {
			t.Logf("excluded %s: %s", name, why)
			continue
		}
		trace := filepath.Join(root, "pcap", name)
		if _, err := os.Stat(trace); err != nil {
			t.Logf("excluded %s: capture missing", name)
			continue
		}
		ja4Compare(t, &c, name, runFoxIO(t, trace), want)
	}
	c.report(t, "foxio ja4 (python testdata)")
}

// suricataTLSChecks extracts, per filter block of a suricata-verify
// test.yaml, the tls.sni / tls.ja3.hash / tls.ja3s.hash / tls.ja4 values
// it requires (blocks with "count: 0" are skipped).
func suricataTLSChecks(yaml string) []map[string]string {
	var out []map[string]string
	for _, blk := range strings.Split(yaml, "- filter:") {
		m := map[string]string{}
		zero := false
		for _, line := range strings.Split(blk, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok {
				continue
			}
			v = strings.Trim(strings.TrimSpace(v), `'"`)
			switch k {
			case "tls.sni", "tls.ja3.hash", "tls.ja3s.hash", "tls.ja4":
				m[k] = v
			case "count":
				zero = zero || v == "0"
			}
		}
		if len(m) > 0 && !zero {
			out = append(out, m)
		}
	}
	return out
}

// suricataTLSField is the ssl.log field of each checked eve key.
var suricataTLSField = map[string]string{"tls.sni": "server_name", "tls.ja3.hash": "ja3", "tls.ja3s.hash": "ja3s", "tls.ja4": "ja4"}

// suricataTLSExcluded are tests not compared, with the reason.
var suricataTLSExcluded = map[string]string{
	"tests/bug-5713-02-ja4": "Suricata appends '_' to JA4 part c when there are no signature algorithms; FoxIO's spec and reference implementations do not",
}

// TestSuricataTLS checks that each block of tls.sni, tls.ja3.hash,
// tls.ja3s.hash and tls.ja4 values a suricata-verify test expects is
// carried by one ssl.log record of the pipeline on the same capture (the
// quic.ja4 checks are TestSuricataQUIC's).
func TestSuricataTLS(t *testing.T) {
	root, tests := suricataTests(t)
	runs := &suricataRuns{t: t, root: root, cache: map[string][]Rec{}, log: "ssl"}
	var c jaTally
	field := func(k string) string { return suricataTLSField[k] }
	runs.eachCheck(tests, suricataTLSExcluded, suricataTLSChecks, field, func(test string, chk map[string]string, found bool) {
		// Each checked value counts, as in the old analyzer harness.
		for range chk {
			c.add(test, found)
		}
		if !found {
			t.Logf("not found: %s %v", test, chk)
		}
	})
	c.report(t, "suricata tls (sni, ja3, ja3s, ja4)")
}
