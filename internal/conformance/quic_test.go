package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// quicSpec compares quic.log. Records pair by connection tuple, then by
// agreement and ts. ja4 is Vigil's extra field (Zeek's baselines lack it:
// it is checked against Suricata and FoxIO below).
var quicSpec = &LogSpec{
	Fields: []Field{
		{"version", Text}, {"client_initial_dcid", Text}, {"client_scid", Text},
		{"server_scid", Text}, {"server_name", Text}, {"client_protocol", Text},
		{"history", Text}, {"ja4", Text},
	},
	Keys:  tupleFields,
	Label: "history",
}

// quicFloors are set just under what TestQUICConformance reaches.
var quicFloors = logFloors{rows: 0.99, fields: 0.99}

// quicExcluded are baselines not comparable with a default run.
var quicExcluded = map[string]string{
	"scripts.base.protocols.quic.max-history-length": "run with QUIC::max_history_length=3 (not the default 100)",
}

// quicJobs picks the single-trace baselines holding quic.log or its
// zeek-cut output, and the default-settings run of discarded-packet.
func quicJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	jobs, skipped = singleTraceJobs(rows, "quic.log", quicExcluded)
	cut, sk := singleTraceJobs(rows, "quic.log.cut", quicExcluded)
	for _, j := range cut {
		if j.row.Dir == "scripts.base.protocols.quic.discarded-packet" {
			// Three runs with different QUIC::max_discarded_packet_events
			// wrote this dir; the default one is its own file.
			j.file = "quic.log.default-discarded-packets"
		}
		jobs = append(jobs, j)
	}
	for k, v := range sk {
		skipped[k] = v
	}
	return jobs, skipped
}

// TestQUICConformance compares the pipeline's quic.log with Zeek's
// baselines on the traces they were made from.
func TestQUICConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := quicJobs(rows)
	logExcluded(t, skipped)
	logConformance(t, trimmedBaselines(t, zeekDir, jobs), "quic", jobs, quicSpec, quicFloors)

	// The excluded max-history-length run cut history at 3 letters: ours
	// must begin with them.
	const trace, want = "quic/firefox-102.13.0esr-blog-cloudflare-com.pcap", "ISX"
	recs := pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces", trace), true, "quic")
	if len(recs) != 1 || !strings.HasPrefix(fmt.Sprint(recs[0]["history"]), want) {
		t.Errorf("%s: history does not begin with %s (max-history-length baseline): %v", trace, want, recs)
	} else {
		t.Logf("max-history-length: history %s begins with %s", recs[0]["history"], want)
	}
}

// trimmedBaselines returns a corpus root whose Traces are zeekDir's and
// whose Baseline holds copies of the jobs' files with each line's trailing
// tab removed: zeek-cut output written by some btests ends every line in a
// tab, so its header would not read as one.
func trimmedBaselines(t *testing.T, zeekDir string, jobs []logJob) string {
	t.Helper()
	root := t.TempDir()
	btest := filepath.Join(root, "testing", "btest")
	if err := os.MkdirAll(filepath.Join(btest, "Baseline"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(zeekDir, "testing", "btest", "Traces"), filepath.Join(btest, "Traces")); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		b, err := os.ReadFile(filepath.Join(zeekDir, "testing", "btest", "Baseline", j.row.Dir, j.file))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSuffix(l, "\t")
		}
		dir := filepath.Join(btest, "Baseline", j.row.Dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, j.file), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var quicExtRE = regexp.MustCompile(`^quic\.extensions\[(\d+)\]\.(name|values\[0\])$`)

// quicSuricataChecks extracts per filter block the client ja4
// (quic.ja4) and the first values of the server_name and alpn extensions
// (quic.extensions[N]); blocks with "count: 0" or not-has-key are skipped.
// Each check holds the values one quic.log record must carry (its field →
// value).
func quicSuricataChecks(yaml string) []map[string]string {
	var out []map[string]string
	for _, blk := range strings.Split(yaml, "- filter:") {
		chk := map[string]string{}
		names, values := map[string]string{}, map[string]string{}
		skip := false
		for _, line := range strings.Split(blk, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok {
				continue
			}
			v = strings.Trim(strings.TrimSpace(v), `'"`)
			switch {
			case k == "quic.ja4":
				chk["ja4"] = v
			case k == "count" && v == "0", k == "not-has-key":
				skip = true
			default:
				if m := quicExtRE.FindStringSubmatch(k); m != nil {
					if m[2] == "name" {
						names[m[1]] = v
					} else {
						values[m[1]] = v
					}
				}
			}
		}
		for i, n := range names {
			if v, ok := values[i]; ok {
				switch n {
				case "server_name":
					chk["server_name"] = v
				case "alpn":
					chk["client_protocol"] = v
				}
			}
		}
		if len(chk) > 0 && !skip {
			out = append(out, chk)
		}
	}
	return out
}

// quicSuricataFloor is set just under the share reached.
const quicSuricataFloor = 0.99

// TestSuricataQUIC checks that the SNI, first ALPN and JA4 suricata-verify
// expects in quic events are those of one of the pipeline's quic.log
// records on the same capture.
func TestSuricataQUIC(t *testing.T) {
	root, tests := suricataTests(t)
	runs := &suricataRuns{t: t, root: root, cache: map[string][]Rec{}, log: "quic"}
	agree, total := 0, 0
	runs.eachCheck(tests, nil, quicSuricataChecks, nil, func(test string, chk map[string]string, found bool) {
		total++
		if found {
			agree++
		}
		t.Logf("%-5v %s: %v", found, test, chk)
	})
	share := 1.0
	if total > 0 {
		share = float64(agree) / float64(total)
	}
	t.Logf("overall suricata quic: %d/%d (%.2f%%)", agree, total, 100*share)
	if share < quicSuricataFloor {
		t.Errorf("agreement %.2f%% below the floor %.2f%%", 100*share, 100*quicSuricataFloor)
	}
}

// quicFoxIOFloor is set just under the share reached.
const quicFoxIOFloor = 0.99

// TestFoxIOQUIC compares the client JA4 and SNI of FoxIO's QUIC captures
// (rust insta snapshots, udp streams) with quic.log.
func TestFoxIOQUIC(t *testing.T) {
	root := testcorpus.Require(t, "foxio-ja4")
	snaps, _ := filepath.Glob(filepath.Join(root, "rust/ja4/src/snapshots/ja4__insta@*.snap"))
	agree, total := 0, 0
	for _, s := range snaps {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(s), "ja4__insta@"), ".snap")
		want := foxioUDPStreams(t, s)
		if len(want) == 0 {
			continue
		}
		trace := filepath.Join(root, "pcap", name)
		if _, err := os.Stat(trace); err != nil {
			t.Logf("excluded %s: capture missing", name)
			continue
		}
		recs := pipelineLog(t, trace, true, "quic")
		n, m := 0, 0
		for _, w := range want {
			var got Rec
			for _, m := range recs {
				if m["id.orig_h"] == w["src"] && fmt.Sprint(m["id.orig_p"]) == w["src_port"] &&
					m["id.resp_h"] == w["dst"] && fmt.Sprint(m["id.resp_p"]) == w["dst_port"] {
					got = m
				}
			}
			for _, f := range [][2]string{{"ja4", "ja4"}, {"tls_server_name", "server_name"}} {
				if w[f[0]] == "" {
					continue
				}
				total++
				g, _ := got[f[1]].(string)
				if g == w[f[0]] {
					agree++
					n++
				} else {
					t.Logf("differs: %s %s:%s %s: want %s got %q", name, w["src"], w["src_port"], f[1], w[f[0]], g)
				}
				m++
			}
		}
		t.Logf("%s: %d/%d", name, n, m)
	}
	share := 1.0
	if total > 0 {
		share = float64(agree) / float64(total)
	}
	t.Logf("overall foxio quic: %d/%d (%.2f%%)", agree, total, 100*share)
	if share < quicFoxIOFloor {
		t.Errorf("agreement %.2f%% below the floor %.2f%%", 100*share, 100*quicFoxIOFloor)
	}
}

// foxioUDPStreams reads the top-level keys of each udp stream of an insta
// snapshot.
func foxioUDPStreams(t *testing.T, path string) []map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	var cur map[string]string
	flush := func() {
		if cur != nil && cur["transport"] == "udp" {
			out = append(out, cur)
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
