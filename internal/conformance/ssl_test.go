package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// sslSpec compares ssl.log. Records pair by connection tuple, then by
// agreement and ts. ja3 and ja3s are Vigil's (and the salesforce JA3
// package's) extra fields: Zeek's own baselines lack them.
var sslSpec = &LogSpec{
	Fields: []Field{
		{"version", Text}, {"cipher", Text}, {"curve", Text}, {"server_name", Text},
		{"resumed", Text}, {"last_alert", Text}, {"next_protocol", Text}, {"established", Text},
		{"ssl_history", Text}, {"cert_chain_fps", TextList}, {"client_cert_chain_fps", TextList},
		{"sni_matches_cert", Text}, {"ja3", Text}, {"ja3s", Text},
	},
	Keys:  tupleFields,
	Label: "server_name",
}

// x509Spec compares x509.log (Zeek's, logged once per certificate: Vigil
// caches the same way). Records pair by fingerprint. ts is not compared:
// the baselines mask it.
var x509Spec = &LogSpec{
	Fields: []Field{
		{"fingerprint", Text},
		{"certificate.version", Text}, {"certificate.serial", Text}, {"certificate.subject", Text},
		{"certificate.issuer", Text}, {"certificate.not_valid_before", Seconds},
		{"certificate.not_valid_after", Seconds}, {"certificate.key_alg", Text},
		{"certificate.sig_alg", Text}, {"certificate.key_type", Text}, {"certificate.key_length", Text},
		{"certificate.exponent", Text}, {"certificate.curve", Text},
		{"san.dns", TextList}, {"san.uri", TextList}, {"san.email", TextList}, {"san.ip", TextList},
		{"basic_constraints.ca", Text}, {"basic_constraints.path_len", Text},
		{"host_cert", Text}, {"client_cert", Text},
	},
	Keys:  []string{"fingerprint"},
	Label: "certificate.subject",
}

// sslFloors are set at what TestSSLConformance reaches (every field of
// every baseline row, no extra record).
var sslFloors = logFloors{rows: 1, fields: 1}

// sslExcluded are the TLS analyzer's baselines that cannot be compared
// with a default run of Vigil's TCP analyzer.
var sslExcluded = map[string]string{
	"scripts.base.protocols.ssl.dtls":          "two runs (dtls1_0, dtls1_2), logs renamed: TestSSLMultiTraceConformance",
	"scripts.base.protocols.ssl.dtls-stun-dpd": "DTLS multiplexed with STUN: Vigil decides a UDP connection on its first datagram (STUN), Zeek's DPD finds DTLS later",
	"scripts.base.protocols.ssl.dtls-13":       "several traces appended: TestSSLMultiTraceConformance",
}

// sslLogFilters narrow Vigil's records where the baseline's test script
// changes what Zeek logs.
var sslLogFilters = map[string]func(Rec) bool{
	// policy/protocols/ssl/log-hostcerts-only: x509.log holds only the
	// certificates that are the first of a server's chain.
	"scripts.policy.protocols.ssl.log-hostcerts-only": func(m Rec) bool { return m["host_cert"] == true },
}

// sslRelogged are x509.log baselines whose test script turned off Zeek's
// once-per-certificate logging: each connection logs its chain again, as
// rows identical to the first ones (ts is masked). Vigil logs a
// certificate once, as a default Zeek run does, so the repeated rows are
// dropped from the baseline before comparison.
var sslRelogged = map[string]bool{
	"scripts.base.files.x509.event-caching":           true,
	"scripts.policy.protocols.ssl.log-hostcerts-only": true,
}

// sslJobs picks the single-trace baselines of the TLS and X.509 analyzers
// (scripts.base.protocols.ssl.*, scripts.base.files.x509.*,
// scripts.policy.protocols.ssl.*) holding the named log.
func sslJobs(rows []IndexRow, file string) (jobs []logJob, skipped map[string]string) {
	all, skipped := singleTraceJobs(rows, file, sslExcluded)
	for _, j := range all {
		for _, p := range []string{"scripts.base.protocols.ssl.", "scripts.base.files.x509.", "scripts.policy.protocols.ssl."} {
			if strings.HasPrefix(j.row.Dir, p) {
				jobs = append(jobs, j)
				break
			}
		}
	}
	for d := range skipped {
		if !strings.Contains(d, ".ssl.") && !strings.Contains(d, ".x509.") {
			delete(skipped, d)
		}
	}
	return jobs, skipped
}

// sslPrep parses the baseline, drops its repeated rows when dedupe is
// set and applies the log filter to Vigil's records.
func sslPrep(dedupe bool, filter func(Rec) bool) func(t *testing.T, base []byte, ours []Rec) (*record.ZeekTSV, []Rec) {
	return func(t *testing.T, base []byte, ours []Rec) (*record.ZeekTSV, []Rec) {
		t.Helper()
		tsv, err := record.ReadZeekTSV(strings.NewReader(string(base)))
		if err != nil {
			t.Fatal(err)
		}
		if dedupe {
			seen := map[string]bool{}
			rows := tsv.Rows[:0]
			for _, r := range tsv.Rows {
				if k := strings.Join(r, "\t"); !seen[k] {
					seen[k] = true
					rows = append(rows, r)
				}
			}
			if n := len(tsv.Rows) - len(rows); n > 0 {
				t.Logf("%d repeated baseline rows dropped (per-connection relogging)", n)
			}
			tsv.Rows = rows
		}
		if filter == nil {
			return tsv, ours
		}
		var kept []Rec
		for _, m := range ours {
			if filter(m) {
				kept = append(kept, m)
			}
		}
		return tsv, kept
	}
}

// runSSLJobs compares each job's log; the jobs in sslLogFilters or
// sslRelogged are prepared first.
func runSSLJobs(t *testing.T, zeekDir, log string, jobs []logJob, spec *LogSpec) {
	var plain, prepped []logJob
	for _, j := range jobs {
		if sslLogFilters[j.row.Dir] != nil || sslRelogged[j.row.Dir] {
			prepped = append(prepped, j)
		} else {
			plain = append(plain, j)
		}
	}
	if len(prepped) > 0 {
		t.Run("prepared", func(t *testing.T) {
			for _, j := range prepped {
				logConformanceWith(t, zeekDir, log, []logJob{j}, spec, sslFloors, nil,
					sslPrep(sslRelogged[j.row.Dir], sslLogFilters[j.row.Dir]))
			}
		})
	}
	logConformance(t, zeekDir, log, plain, spec, sslFloors)
}

// TestSSLConformance compares the pipeline's ssl.log and x509.log with
// the baselines of Zeek's TLS and X.509 tests on the traces they were made
// from.
func TestSSLConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ssl", func(t *testing.T) {
		jobs, skipped := sslJobs(rows, "ssl.log")
		logExcluded(t, skipped)
		runSSLJobs(t, zeekDir, "ssl", jobs, sslSpec)
	})
	t.Run("x509", func(t *testing.T) {
		jobs, skipped := sslJobs(rows, "x509.log")
		logExcluded(t, skipped)
		runSSLJobs(t, zeekDir, "x509", jobs, x509Spec)
	})
}

// TestSalesforceJA3 compares ssl.log (ja3 included) with the baselines of
// the salesforce JA3 Zeek package.
func TestSalesforceJA3(t *testing.T) {
	root := testcorpus.Require(t, "salesforce-ja3", "testing")
	var all Result
	for _, tc := range [][2]string{
		{"ja3-tests.chrome_test1", "ssl-chrome.pcap"},
		{"ja3-tests.curl_test1", "ssl-curl.pcap"},
	} {
		base := readZeekTSVFile(t, filepath.Join(root, "Baseline", tc[0], "ssl.log"))
		r := CompareLog(base, pipelineLog(t, filepath.Join(root, "Traces", tc[1]), true, "ssl"), sslSpec)
		a, n := r.FieldShare()
		t.Logf("%s: fields %d/%d rows %d/%d missing %d extra %d", tc[1], a, n, r.FullAgree, r.Zeek, r.Missing, r.Extra)
		for _, d := range r.Diffs {
			t.Logf("           %s", d)
		}
		all.Add(r)
	}
	a, n := all.FieldShare()
	t.Logf("overall salesforce ja3: fields %d/%d (ja3 %d/%d)", a, n, all.Fields["ja3"].Agree, all.Fields["ja3"].Total)
	if a < n || n == 0 {
		t.Errorf("salesforce JA3: %d/%d fields agree", a, n)
	}
}
