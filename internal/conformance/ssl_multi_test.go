package conformance

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// Baselines of Zeek's TLS tests that runs over several traces wrote: the
// test appends each run's ssl.log to ssl-out.log or ssl-all.log, or (the
// DTLS test) renames the second run's logs to ssl1_2.log and x5091_2.log.
// TestSSLConformance compares single-trace baselines only; these are
// compared here, each against the records of all its traces together.
// Only sslSpec's fields are compared: the extra columns of ssl-log-ext
// and keyexchange (their scripts' own fields) and validation_status (filled
// only by Zeek's optional policy/protocols/ssl/validate-certs script, with
// the result of a chain validation against Mozilla's root store, which
// Vigil does not do) are left out.

// multiJob is one baseline file and the traces whose records it holds.
type multiJob struct {
	dir, file string
	traces    []string
	ignoreCk  bool
}

// sslMultiFiles are the appended ssl.log baselines.
var sslMultiFiles = map[string]bool{"ssl-out.log": true, "ssl-all.log": true}

// sslMultiTraces overrides the index's traces of a baseline: the index
// lists dtls1_0.pcap and dtls1_2.pcap under dtls-13 (with the DTLS test's
// command), but its ssl-all.log holds only the two DTLS 1.3 traces' rows.
var sslMultiTraces = map[string][]string{
	"scripts.base.protocols.ssl.dtls-13": {"tls/dtls13-wolfssl.pcap", "tls/dtls13-cid.pcap"},
}

// sslMultiJobs groups the index rows of appended ssl.log baselines by
// directory, and adds the DTLS test's two runs.
func sslMultiJobs(rows []IndexRow) (jobs []multiJob) {
	byDir := map[string]*multiJob{}
	var dirs []string
	for _, r := range rows {
		for _, f := range r.Files {
			if !sslMultiFiles[f] || !strings.Contains(r.Dir, ".ssl.") {
				continue
			}
			j := byDir[r.Dir+"/"+f]
			if j == nil {
				j = &multiJob{dir: r.Dir, file: f}
				byDir[r.Dir+"/"+f] = j
				dirs = append(dirs, r.Dir+"/"+f)
			}
			if over, ok := sslMultiTraces[r.Dir]; ok {
				j.traces = over
			} else {
				j.traces = append(j.traces, r.Trace)
			}
			j.ignoreCk = j.ignoreCk || r.IgnoreChecksums()
		}
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		jobs = append(jobs, *byDir[d])
	}
	return jobs
}

// dtlsJobs are the DTLS test's runs (zeek -b): dtls1_0.pcap's logs kept as
// ssl.log and x509.log, dtls1_2.pcap's renamed.
func dtlsJobs(log string) []multiJob {
	const dir = "scripts.base.protocols.ssl.dtls"
	if log == "x509" {
		return []multiJob{{dir, "x509.log", []string{"tls/dtls1_0.pcap"}, false}, {dir, "x5091_2.log", []string{"tls/dtls1_2.pcap"}, false}}
	}
	return []multiJob{{dir, "ssl.log", []string{"tls/dtls1_0.pcap"}, false}, {dir, "ssl1_2.log", []string{"tls/dtls1_2.pcap"}, false}}
}

// runMultiJobs compares each job's baseline with the records of its
// traces and fails below full agreement.
func runMultiJobs(t *testing.T, zeekDir, log string, jobs []multiJob, spec *LogSpec) {
	t.Helper()
	var all Result
	for _, j := range jobs {
		var ours []Rec
		for _, tr := range j.traces {
			ours = append(ours, pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces", tr), j.ignoreCk, log)...)
		}
		base := readZeekTSVFile(t, filepath.Join(zeekDir, "testing/btest/Baseline", j.dir, j.file))
		r := CompareLog(base, ours, spec)
		a, n := r.FieldShare()
		t.Logf("fields %4d/%4d  rows %3d/%3d  missing %d extra %d  %s/%s (%d traces)",
			a, n, r.FullAgree, r.Zeek, r.Missing, r.Extra, j.dir, j.file, len(j.traces))
		for _, d := range r.Diffs {
			t.Logf("           %s", d)
		}
		all.Add(r)
	}
	var fs []string
	for _, f := range spec.Fields {
		if c := all.Fields[f.Name]; c != nil && c.Total > 0 {
			fs = append(fs, fmt.Sprintf("%s %d/%d", f.Name, c.Agree, c.Total))
		}
	}
	t.Logf("per field: %s", strings.Join(fs, ", "))
	a, n := all.FieldShare()
	t.Logf("overall %s.log (multi-trace): %d baselines; rows agreeing on every field %d/%d, missing %d, extra %d; fields %d/%d",
		log, len(jobs), all.FullAgree, all.Zeek, all.Missing, all.Extra, a, n)
	if n == 0 || a < n || all.FullAgree < all.Zeek || all.Extra > 0 {
		t.Errorf("%s.log multi-trace baselines: fields %d/%d, rows %d/%d, extra %d", log, a, n, all.FullAgree, all.Zeek, all.Extra)
	}
}

// TestSSLMultiTraceConformance compares the appended ssl.log baselines
// (ssl-out.log, ssl-all.log) and the DTLS test's ssl.log and x509.log.
func TestSSLMultiTraceConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ssl", func(t *testing.T) {
		jobs := sslMultiJobs(rows)
		runMultiJobs(t, zeekDir, "ssl", append(jobs, dtlsJobs("ssl")...), sslSpec)
	})
	t.Run("x509", func(t *testing.T) {
		runMultiJobs(t, zeekDir, "x509", dtlsJobs("x509"), x509Spec)
	})
}
