package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// weirdSpec compares weird.log. Records pair by connection tuple (Zeek
// writes a flow weird's ports as 0, as Vigil does) and name.
var weirdSpec = &LogSpec{
	Fields: []Field{{"name", Text}, {"addl", Text}},
	Keys:   append(append([]string{}, tupleFields...), "name"),
	Label:  "name",
}

// weirdFloors are set just under what TestWeirdConformance reaches.
var weirdFloors = logFloors{rows: 0.76, fields: 0.72}

// weirdExcluded are weird.log baselines that cannot be compared: the
// test script changes a limit or an option that decides which weirds
// Zeek reports, or the weirds come from analyzers Vigil does not have.
var weirdExcluded = map[string]string{
	"core.checksums_ignore_nets_runtime_update":                              "the test script changes ignore_checksums_nets while the trace runs",
	"core.reporter-limit-reached-weird":                                      "the test script raises its own weirds",
	"core.max-analyzer-violations":                                           "the test script lowers max_analyzer_violations",
	"core.max-packet-analyzer-depth":                                         "the test script lowers the packet analyzers' depth",
	"core.tunnels.gre-in-gre-min-depth":                                      "the test script lowers Tunnel::max_depth",
	"core.nflog-bad-tlv-len":                                                 "NFLOG TLV parsing: Vigil reads the frame as cut (truncated_link_header)",
	"scripts.base.protocols.dhcp.dhcp-max-tracked-transactions":              "the test script lowers the DHCP transaction limit",
	"scripts.base.protocols.ftp.ftp-max-arg-length":                          "the test script lowers the FTP argument limit (the trace is an ordinary session)",
	"scripts.base.protocols.ftp.ftp-max-user-length":                         "the test script lowers the FTP user and password limits (the trace is an ordinary session)",
	"scripts.base.protocols.ftp.ftp-max-pending-commands":                    "the test script lowers FTP::max_pending_commands (to 5, the weird's addl)",
	"scripts.policy.protocols.ftp.expected-data-channel-cap":                 "a policy script's limits",
	"scripts.base.protocols.dns.edns-bad-length":                             "the OPT record is in the additional section, which Zeek skips by default (dns_skip_all_addl) as Vigil does",
	"scripts.base.protocols.dns.max-queries":                                 "the test script lowers DNS::max_queries",
	"scripts.base.protocols.quic.max-history-length":                         "the test script lowers QUIC::max_history_length",
	"scripts.base.protocols.ssh.max-kexinit-algorithms":                      "the test script lowers the SSH KEXINIT limits",
	"scripts.base.protocols.smtp.mail-transactions-invalid-disable-analyzer": "the test script lowers max_invalid_mail_transactions (the same trace gives one weird by default)",
	"scripts.base.protocols.smtp.address-limits":                             "the test script lowers the SMTP address limits",
	"scripts.base.protocols.pop3.redis":                                      "the test script attaches the POP3 analyzer to a Redis port (6379)",
	"scripts.base.protocols.sip.path-length-limits":                          "no SIP analyzer",
	"scripts.base.protocols.sip.junk":                                        "no SIP analyzer",
	"scripts.base.protocols.sip.invalid-content-length":                      "no SIP analyzer",
	"scripts.base.protocols.irc.longline":                                    "no IRC analyzer",
	"scripts.base.protocols.irc.names-weird":                                 "no IRC analyzer",
	"scripts.base.protocols.irc.max-dcc-send-expected":                       "no IRC analyzer",
	"scripts.base.protocols.gnutella.max-header-length":                      "no Gnutella analyzer",
	"scripts.base.protocols.gnutella.max-line-length":                        "no Gnutella analyzer",
	"scripts.base.protocols.ncp.frame_size_tuning":                           "no NCP analyzer",
	"scripts.base.protocols.rpc.max-pending-calls":                           "no Sun RPC analyzer",
	"scripts.base.protocols.redis.excessive-pipelining":                      "no Redis analyzer",
	"scripts.base.protocols.netbios.truncated-session-msg":                   "no NetBIOS session analyzer",
	"scripts.base.protocols.dce-rpc.dce-rpc-backing-discard":                 "no DCE-RPC analyzer",
	"scripts.base.protocols.dce-rpc.dce_rpc_netlogon":                        "no DCE-RPC analyzer",
	"scripts.base.protocols.smb.named-pipe-fragment":                         "no DCE-RPC analyzer",
}

// weirdJobs picks every weird.log baseline written from one trace by an
// unfiltered run.
func weirdJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	all, skipped := singleTraceJobs(rows, "weird.log", weirdExcluded)
	for _, j := range all {
		switch {
		case j.row.DistinctTraces() > 1:
			skipped[j.row.Dir] = "baseline dir written by runs over several traces"
		case j.row.Filtered():
			skipped[j.row.Dir] = "run with a BPF filter"
		default:
			jobs = append(jobs, j)
		}
	}
	return jobs, skipped
}

// TestWeirdConformance compares the pipeline's weird.log with Zeek's
// baselines: every weird.log a btest wrote from one trace, and Zeek's
// checksum test, whose bad.out and good.out hold the weird.logs of the
// runs over ten traces with bad checksums and nine with good ones.
func TestWeirdConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("baselines", func(t *testing.T) {
		jobs, skipped := weirdJobs(rows)
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "weird", jobs, weirdSpec, weirdFloors)
	})
	t.Run("truncation", func(t *testing.T) {
		// core.truncation's output holds the weird.logs of runs over
		// truncated captures (one with -C): compared as one log.
		var ours []Rec
		var n int
		for _, r := range rows {
			if r.Dir == "core.truncation" {
				n++
				ours = append(ours, pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces", r.Trace), true, "weird")...)
			}
		}
		base := readZeekTSVFile(t, filepath.Join(zeekDir, "testing/btest/Baseline/core.truncation/output"))
		r := CompareLog(base, ours, weirdSpec)
		t.Logf("core.truncation (%d traces): rows %d/%d, missing %d, extra %d", n, r.FullAgree, r.Zeek, r.Missing, r.Extra)
		for _, d := range r.Diffs {
			t.Logf("           %s", d)
		}
		if r.FullAgree < 6 { // just under what is reached
			t.Errorf("core.truncation: %d rows agree, below the floor 6", r.FullAgree)
		}
	})
	t.Run("checksums", func(t *testing.T) {
		// floor: rows agreeing, just under what is reached (the misses are
		// routing-header-0 packets, whose final destination Zeek keys
		// their connections by).
		for _, set := range []struct {
			file, kind string
			floor      int
		}{{"bad.out", "-bad-", 7}, {"good.out", "-good-", 0}} {
			var traces []string
			for _, r := range rows {
				if r.Dir == "core.checksums" && strings.Contains(r.Trace, set.kind) {
					traces = append(traces, r.Trace)
				}
			}
			base := readZeekTSVFile(t, filepath.Join(zeekDir, "testing/btest/Baseline/core.checksums", set.file))
			var ours []Rec
			for _, tr := range traces {
				ours = append(ours, pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces", tr), false, "weird")...)
			}
			r := CompareLog(base, ours, weirdSpec)
			a, n := r.FieldShare()
			t.Logf("%s (%d traces): rows %d/%d, missing %d, extra %d; fields %d/%d", set.file, len(traces), r.FullAgree, r.Zeek, r.Missing, r.Extra, a, n)
			for _, d := range r.Diffs {
				t.Logf("           %s", d)
			}
			if r.FullAgree < set.floor {
				t.Errorf("%s: %d rows agree, below the floor %d", set.file, r.FullAgree, set.floor)
			}
		}
	})
}
