package tls

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// tally counts agreeing and compared fields.
type tally struct{ agree, total int }

func (t tally) pct() float64 {
	if t.total == 0 {
		return 100
	}
	return 100 * float64(t.agree) / float64(t.total)
}

type scoreboard struct {
	fields map[string]*tally
	traces map[string]*tally
	all    tally
	diffs  []string
}

func newScoreboard() *scoreboard {
	return &scoreboard{fields: map[string]*tally{}, traces: map[string]*tally{}}
}

func (s *scoreboard) add(trace, field string, ok bool, detail string) {
	for _, m := range []struct {
		mp map[string]*tally
		k  string
	}{{s.fields, field}, {s.traces, trace}} {
		tt := m.mp[m.k]
		if tt == nil {
			tt = &tally{}
			m.mp[m.k] = tt
		}
		tt.total++
		if ok {
			tt.agree++
		}
	}
	s.all.total++
	if ok {
		s.all.agree++
	} else if len(s.diffs) < 200 {
		s.diffs = append(s.diffs, fmt.Sprintf("%s %s: %s", trace, field, detail))
	}
}

func (s *scoreboard) report(t *testing.T, name string) {
	var keys []string
	for k := range s.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%s field %-28s %6.2f%% (%d/%d)", name, k, s.fields[k].pct(), s.fields[k].agree, s.fields[k].total)
	}
	keys = keys[:0]
	for k := range s.traces {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return s.traces[keys[i]].pct() < s.traces[keys[j]].pct() })
	for _, k := range keys {
		t.Logf("%s trace %-60s %6.2f%% (%d/%d)", name, k, s.traces[k].pct(), s.traces[k].agree, s.traces[k].total)
	}
	for _, d := range s.diffs {
		t.Logf("%s diff %s", name, d)
	}
	t.Logf("%s OVERALL %.2f%% (%d/%d)", name, s.all.pct(), s.all.agree, s.all.total)
	if s.all.total == 0 {
		t.Errorf("%s: nothing compared", name)
	}
}

// ours renders one of our JSON values as the Zeek TSV cell would read.
func ours(m map[string]any, f string) (string, bool) {
	v, ok := m[f]
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "T", true
		}
		return "F", true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ","), true
	}
	return fmt.Sprint(v), true
}

func sameValue(field, want string, wok bool, got string, gok bool) bool {
	if wok != gok {
		return false
	}
	if !wok {
		return true
	}
	if strings.HasPrefix(field, "certificate.not_valid") {
		a, e1 := strconv.ParseFloat(want, 64)
		b, e2 := strconv.ParseFloat(got, 64)
		return e1 == nil && e2 == nil && math.Abs(a-b) < 1e-6
	}
	return want == got
}

var sslFields = []string{"version", "cipher", "curve", "server_name", "resumed", "last_alert",
	"next_protocol", "established", "ssl_history", "cert_chain_fps", "client_cert_chain_fps",
	"sni_matches_cert", "ja3", "ja3s"}

var x509Fields = []string{"certificate.version", "certificate.serial", "certificate.subject",
	"certificate.issuer", "certificate.not_valid_before", "certificate.not_valid_after",
	"certificate.key_alg", "certificate.sig_alg", "certificate.key_type", "certificate.key_length",
	"certificate.exponent", "certificate.curve", "san.dns", "san.uri", "san.email", "san.ip",
	"basic_constraints.ca", "basic_constraints.path_len", "host_cert", "client_cert"}

func readTSV(t *testing.T, path string) *record.ZeekTSV {
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer f.Close()
	z, err := record.ReadZeekTSV(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return z
}

func compareSSL(sb *scoreboard, trace string, z *record.ZeekTSV, sink *memSink) {
	byKey := map[string]map[string]any{}
	for _, m := range sink.logs["ssl"] {
		byKey[recKey(m)] = m
	}
	for _, row := range z.Rows {
		oh, _ := z.Get(row, "id.orig_h")
		op, _ := z.Get(row, "id.orig_p")
		rh, _ := z.Get(row, "id.resp_h")
		rp, _ := z.Get(row, "id.resp_p")
		got := byKey[fmt.Sprintf("%s|%s|%s|%s", oh, op, rh, rp)]
		for _, f := range sslFields {
			if !z.Has(f) {
				continue
			}
			want, wok := z.Get(row, f)
			var g string
			var gok bool
			if got != nil {
				g, gok = ours(got, f)
			}
			sb.add(trace, f, got != nil && sameValue(f, want, wok, g, gok),
				fmt.Sprintf("%s:%s want %q(%v) got %q(%v) conn-found=%v", oh, op, want, wok, g, gok, got != nil))
		}
	}
}

func compareX509(sb *scoreboard, trace string, z *record.ZeekTSV, sink *memSink) {
	byFP := map[string]map[string]any{}
	for _, m := range sink.logs["x509"] {
		k, _ := m["fingerprint"].(string)
		if _, dup := byFP[k]; !dup {
			byFP[k] = m
		}
	}
	for _, row := range z.Rows {
		fp, _ := z.Get(row, "fingerprint")
		got := byFP[fp]
		for _, f := range x509Fields {
			if !z.Has(f) {
				continue
			}
			want, wok := z.Get(row, f)
			var g string
			var gok bool
			if got != nil {
				g, gok = ours(got, f)
			}
			sb.add(trace, "x509:"+f, got != nil && sameValue(f, want, wok, g, gok),
				fmt.Sprintf("%s want %q(%v) got %q(%v) found=%v", fp[:8], want, wok, g, gok, got != nil))
		}
	}
}

// zeekExclusions are baselines not compared, with the reason.
var zeekExclusions = map[string]string{
	"scripts.base.protocols.ssl.dtls":          "DTLS (UDP) is not handled by this TCP analyzer",
	"scripts.base.protocols.ssl.dtls-stun-dpd": "DTLS (UDP) over STUN",
	"scripts.base.protocols.ssl.dtls-13":       "DTLS 1.3 (UDP)",
	"scripts.base.protocols.ssl.cve-2015-3194": "", // compared
}

// zeekBaselines lists (baseline dir, trace) pairs for the ssl baselines.
func zeekBaselines(t *testing.T, root string) [][2]string {
	f, err := os.Open(filepath.Join(root, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Skipf("no index: %v", err)
	}
	defer f.Close()
	traces := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || strings.HasPrefix(cols[0], "#") {
			continue
		}
		traces[cols[1]] = append(traces[cols[1]], cols[0])
	}
	var out [][2]string
	for dir, tr := range traces {
		if !(strings.HasPrefix(dir, "scripts.base.protocols.ssl.") || strings.HasPrefix(dir, "scripts.base.files.x509.") ||
			strings.HasPrefix(dir, "scripts.policy.protocols.ssl.")) || len(tr) != 1 {
			continue
		}
		if r := zeekExclusions[dir]; r != "" {
			t.Logf("excluded %s: %s", dir, r)
			continue
		}
		out = append(out, [2]string{dir, tr[0]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func TestZeekConformance(t *testing.T) {
	root := testcorpus.Require(t, "zeek")
	sb := newScoreboard()
	for _, bt := range zeekBaselines(t, root) {
		dir := filepath.Join(root, "testing/btest/Baseline", bt[0])
		trace := filepath.Join(root, "testing/btest/Traces", bt[1])
		hasSSL := fileExists(filepath.Join(dir, "ssl.log"))
		hasX509 := fileExists(filepath.Join(dir, "x509.log"))
		if !hasSSL && !hasX509 || !fileExists(trace) {
			continue
		}
		sink := runTrace(t, trace)
		if hasSSL {
			compareSSL(sb, bt[1], readTSV(t, filepath.Join(dir, "ssl.log")), sink)
		}
		if hasX509 {
			compareX509(sb, bt[1], readTSV(t, filepath.Join(dir, "x509.log")), sink)
		}
	}
	sb.report(t, "zeek")
	if sb.all.pct() < floorZeek {
		t.Errorf("zeek agreement %.2f%% below floor %.2f%%", sb.all.pct(), floorZeek)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
