package conformance

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TLS started inside another protocol (SMTP's STARTTLS, FTP's AUTH TLS):
// the protocol's analyzer hands the connection over to the TLS analyzer
// (proto.Upgrader), which writes ssl.log and x509.log; conn.log's service
// lists both, the first analyzer's first ("ftp,ssl").

// starttlsPrefixes are the baseline dirs of the protocols Vigil parses
// that hand over to TLS. (POP3 and IMAP are compared by
// TestMailConformance; XMPP and IRC do too in Zeek, Vigil has no analyzer
// for them.)
var starttlsPrefixes = []string{"scripts.base.protocols.smtp.", "scripts.base.protocols.ftp."}

// starttlsExcluded are the baselines under starttlsPrefixes left out.
var starttlsExcluded = map[string]string{
	"scripts.base.protocols.ftp.gridftp": "GridFTP: TLS inside base64 ADAT commands after AUTH GSSAPI (Zeek's FTP_ADAT " +
		"support analyzer), not a STARTTLS hand-over; the data channel's plain TLS is compared by TestSSLConformance's traces",
}

// starttlsFloors are set just under what TestStartTLSConformance reaches
// (every field of every baseline row).
var starttlsFloors = logFloors{rows: 0.99, fields: 0.99}

// starttlsServiceSpec compares conn.log's service only (the rest of
// conn.log is TestConnConformance's).
var starttlsServiceSpec = &LogSpec{
	Fields: []Field{{"service", Text}},
	Keys:   tupleFields,
	Label:  "service",
}

// starttlsJobs picks the single-trace SMTP and FTP baselines holding file.
func starttlsJobs(rows []IndexRow, file string) (jobs []logJob, skipped map[string]string) {
	return prefixJobs(rows, file, starttlsExcluded, starttlsPrefixes)
}

// prefixJobs picks the single-trace baselines holding file whose baseline
// dir starts with one of prefixes (exclusions and skips limited to those).
func prefixJobs(rows []IndexRow, file string, excluded map[string]string, prefixes []string) (jobs []logJob, skipped map[string]string) {
	all, skipped := singleTraceJobs(rows, file, excluded)
	keep := func(dir string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(dir, p) {
				return true
			}
		}
		return false
	}
	for _, j := range all {
		if keep(j.row.Dir) {
			jobs = append(jobs, j)
		}
	}
	for d := range skipped {
		if !keep(d) {
			delete(skipped, d)
		}
	}
	return jobs, skipped
}

// TestStartTLSConformance compares ssl.log, x509.log and conn.log's
// service with the baselines of Zeek's SMTP and FTP tests that hold an
// ssl.log (smtp.starttls, ftp.ftp-auth-tls).
func TestStartTLSConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	sslJobs, skipped := starttlsJobs(rows, "ssl.log")
	if len(sslJobs) == 0 {
		t.Fatal("no SMTP/FTP baseline holds an ssl.log")
	}
	// conn.log: the dirs whose ssl.log is compared (TLS after a hand-over).
	withSSL := map[string]bool{}
	for _, j := range sslJobs {
		withSSL[j.row.Dir] = true
	}
	t.Run("ssl", func(t *testing.T) {
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "ssl", sslJobs, sslSpec, starttlsFloors)
	})
	t.Run("x509", func(t *testing.T) {
		jobs, skipped := starttlsJobs(rows, "x509.log")
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "x509", jobs, x509Spec, starttlsFloors)
	})
	t.Run("conn-service", func(t *testing.T) {
		all, _ := starttlsJobs(rows, "conn.log")
		var jobs []logJob
		for _, j := range all {
			if withSSL[j.row.Dir] {
				jobs = append(jobs, j)
			}
		}
		logConformance(t, zeekDir, "conn", jobs, starttlsServiceSpec, starttlsFloors)
	})
}

// TestStartTLSSMTPService checks conn.log's service of the SMTP STARTTLS
// trace, whose Zeek test keeps no conn.log: "smtp,ssl", in the order the
// baselines of every other hand-over show ("ftp,ssl", "imap,ssl",
// "pop3,ssl", "xmpp,ssl", "irc,ssl").
func TestStartTLSSMTPService(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	recs := pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces/tls/smtp-starttls.pcap"), true, "conn")
	n := 0
	for _, r := range recs {
		if fmt.Sprint(r["id.resp_p"]) == "25" {
			n++
			if r["service"] != "smtp,ssl" {
				t.Errorf("conn %v: service %v, want smtp,ssl", r["uid"], r["service"])
			}
		}
	}
	if n == 0 {
		t.Fatal("no SMTP connection in conn.log")
	}
}
