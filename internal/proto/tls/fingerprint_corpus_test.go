package tls

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// Floors: just under the agreement reached (see the logged figures).
const (
	floorZeek      = 99.9
	floorJA3       = 99.9
	floorJA4Rust   = 99.0
	floorJA4Python = 99.0
	floorSuricata  = 99.0
)

func TestSalesforceJA3(t *testing.T) {
	root := testcorpus.Require(t, "salesforce-ja3", "testing")
	sb := newScoreboard()
	for _, tc := range [][2]string{
		{"ja3-tests.chrome_test1", "ssl-chrome.pcap"},
		{"ja3-tests.curl_test1", "ssl-curl.pcap"},
	} {
		z := readTSV(t, filepath.Join(root, "Baseline", tc[0], "ssl.log"))
		sink := runTrace(t, filepath.Join(root, "Traces", tc[1]))
		compareSSL(sb, tc[1], z, sink)
	}
	sb.report(t, "ja3")
	if sb.all.pct() < floorJA3 {
		t.Errorf("salesforce agreement %.2f%% below floor %.2f%%", sb.all.pct(), floorJA3)
	}
}

type ja4Want struct {
	src, dst, sport, dport, ja4 string
}

// rustSnapshots reads the ja4 (client) values of FoxIO's insta snapshots.
func rustSnapshots(path string) ([]ja4Want, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
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
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		if _, dup := cur[k]; !dup {
			cur[k] = strings.Trim(strings.TrimSpace(v), `'"`)
		}
	}
	flush()
	return out, nil
}

// ja4Exclusions are traces whose TLS is not compared, with the reason.
var ja4Exclusions = map[string]string{
	"https-connect.pcap":       "TLS inside an HTTP CONNECT tunnel: the stream starts with the proxy request, the HTTP analyzer must hand over",
	"socks-https-example.pcap": "TLS inside SOCKS: the stream starts with the SOCKS handshake, the SOCKS analyzer must hand over",
	"socks4-https.pcap":        "TLS inside SOCKS4",
}

func ja4Compare(t *testing.T, name string, sb *scoreboard, trace string, want []ja4Want) {
	if r := ja4Exclusions[filepath.Base(trace)]; r != "" {
		t.Logf("excluded %s: %s", filepath.Base(trace), r)
		return
	}
	sink := runTrace(t, trace)
	got := map[string]string{}
	for _, m := range sink.logs["ssl"] {
		if j, ok := m["ja4"].(string); ok {
			got[recKey(m)] = j
		}
	}
	for _, w := range want {
		k := fmt.Sprintf("%s|%s|%s|%s", w.src, w.sport, w.dst, w.dport)
		g, ok := got[k]
		if !ok {
			k = fmt.Sprintf("%s|%s|%s|%s", w.dst, w.dport, w.src, w.sport)
			g, ok = got[k]
		}
		sb.add(filepath.Base(trace), "ja4", ok && g == w.ja4, fmt.Sprintf("%s want %s got %q", k, w.ja4, g))
	}
}

func TestFoxIOJA4Rust(t *testing.T) {
	root := testcorpus.Require(t, "foxio-ja4")
	snaps, _ := filepath.Glob(filepath.Join(root, "rust/ja4/src/snapshots/ja4__insta@*.snap"))
	sb := newScoreboard()
	for _, s := range snaps {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(s), "ja4__insta@"), ".snap")
		trace := filepath.Join(root, "pcap", name)
		if !fileExists(trace) {
			continue
		}
		want, err := rustSnapshots(s)
		if err != nil || len(want) == 0 {
			continue
		}
		ja4Compare(t, "rust", sb, trace, want)
	}
	sb.report(t, "ja4-rust")
	if sb.all.pct() < floorJA4Rust {
		t.Errorf("JA4 (rust) agreement %.2f%% below floor %.2f%%", sb.all.pct(), floorJA4Rust)
	}
}

func TestFoxIOJA4Python(t *testing.T) {
	root := testcorpus.Require(t, "foxio-ja4")
	files, _ := filepath.Glob(filepath.Join(root, "python/test/testdata/*.json"))
	sb := newScoreboard()
	for _, f := range files {
		trace := filepath.Join(root, "pcap", strings.TrimSuffix(filepath.Base(f), ".json"))
		if !fileExists(trace) {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var entries []map[string]any
		if json.Unmarshal(data, &entries) != nil {
			continue
		}
		var want []ja4Want
		for _, e := range entries {
			j, _ := e["JA4.1"].(string)
			if j == "" {
				j, _ = e["JA4"].(string)
			}
			if !strings.HasPrefix(j, "t") {
				continue // QUIC/DTLS: not this analyzer
			}
			want = append(want, ja4Want{fmt.Sprint(e["src"]), fmt.Sprint(e["dst"]), fmt.Sprint(e["srcport"]), fmt.Sprint(e["dstport"]), j})
		}
		if len(want) > 0 {
			ja4Compare(t, "python", sb, trace, want)
		}
	}
	sb.report(t, "ja4-python")
	if sb.all.pct() < floorJA4Python {
		t.Errorf("JA4 (python) agreement %.2f%% below floor %.2f%%", sb.all.pct(), floorJA4Python)
	}
}

// suricataChecks extracts, per filter block of a suricata-verify test.yaml,
// the tls.sni / tls.ja3.hash / tls.ja3s.hash / tls.ja4 values it requires
// (blocks with "count: 0" are skipped).
func suricataChecks(yaml string) []map[string]string {
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

var suricataField = map[string]string{"tls.sni": "server_name", "tls.ja3.hash": "ja3", "tls.ja3s.hash": "ja3s", "tls.ja4": "ja4"}

// suricataExclusions are tests not compared, with the reason.
var suricataExclusions = map[string]string{
	"tests/ja4-tls-quic":           "the ja4 checked is a QUIC client hello",
	"tests/ja4-rules":              "the ja4 checked is a QUIC client hello",
	"tests/ja4-rules-7.0.x-01":     "the ja4 checked is a QUIC client hello",
	"tests/ja4-rules-7.0.x-02":     "the ja4 checked is a QUIC client hello",
	"tests/tls-alpn-client-log-01": "QUIC",
	"tests/bug-5713-02-ja4":        "Suricata appends '_' to JA4 part c when there are no signature algorithms; FoxIO's spec and reference implementations do not",
}

func TestSuricataTLS(t *testing.T) {
	root := testcorpus.Require(t, "suricata-verify")
	idx, err := os.ReadFile(filepath.Join(root, "INDEX-tests.tsv"))
	if err != nil {
		t.Skip(err)
	}
	sb := newScoreboard()
	var names []string
	for _, line := range strings.Split(string(idx), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) < 2 || strings.HasPrefix(cols[0], "#") {
			continue
		}
		if r := suricataExclusions[cols[0]]; r != "" {
			t.Logf("excluded %s: %s", cols[0], r)
			continue
		}
		yaml, err := os.ReadFile(filepath.Join(root, cols[0], "test.yaml"))
		if err != nil {
			continue
		}
		checks := suricataChecks(string(yaml))
		if len(checks) == 0 {
			continue
		}
		trace := filepath.Join(root, cols[1])
		if !fileExists(trace) {
			continue
		}
		names = append(names, cols[0])
		sink := runTrace(t, trace)
		for _, chk := range checks {
			keys := make([]string, 0, len(chk))
			for k := range chk {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				// Agreement: some record carries this value (together with
				// the block's other values).
				found := false
				for _, m := range sink.logs["ssl"] {
					all := true
					for k2, v2 := range chk {
						if s, _ := m[suricataField[k2]].(string); s != v2 {
							all = false
						}
					}
					if all {
						found = true
						break
					}
				}
				sb.add(cols[0], k, found, fmt.Sprintf("want %s=%s", k, chk[k]))
			}
		}
	}
	sb.report(t, "suricata")
	if sb.all.pct() < floorSuricata {
		t.Errorf("suricata agreement %.2f%% below floor %.2f%%", sb.all.pct(), floorSuricata)
	}
}
