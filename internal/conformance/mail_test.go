package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// POP3 and IMAP: Zeek writes no pop3.log or imap.log by default, but its
// analyzers set conn.log's service ("pop3", "imap") and hand STARTTLS
// (POP3's STLS, IMAP's STARTTLS) over to TLS ("pop3,ssl", "imap,ssl",
// with ssl.log and x509.log rows).

// mailPrefixes are the baseline dirs of Zeek's POP3 and IMAP tests.
var mailPrefixes = []string{"scripts.base.protocols.pop3.", "scripts.base.protocols.imap."}

// mailFloors are set just under what TestMailConformance reaches (every
// field of every baseline row).
var mailFloors = logFloors{rows: 0.99, fields: 0.99}

// mailJobs picks the single-trace POP3 and IMAP baselines holding file.
// pop3.redis (a test script that puts POP3 on Redis's port) is kept: Zeek's
// service there is "-", as it must be for Vigil, whose POP3 detection does
// not take Redis's "+OK".
func mailJobs(rows []IndexRow, file string) (jobs []logJob, skipped map[string]string) {
	return prefixJobs(rows, file, nil, mailPrefixes)
}

// TestMailConformance compares conn.log's service, ssl.log and x509.log
// with the baselines of Zeek's POP3 and IMAP tests (pop3.basic,
// pop3.bad-list-retr-crafted, pop3.redis, pop3.starttls, imap.starttls).
func TestMailConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("conn-service", func(t *testing.T) {
		jobs, skipped := mailJobs(rows, "conn.log")
		if len(jobs) == 0 {
			t.Fatal("no POP3/IMAP baseline holds a conn.log")
		}
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "conn", jobs, starttlsServiceSpec, mailFloors)
	})
	t.Run("ssl", func(t *testing.T) {
		jobs, skipped := mailJobs(rows, "ssl.log")
		if len(jobs) == 0 {
			t.Fatal("no POP3/IMAP baseline holds an ssl.log")
		}
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "ssl", jobs, sslSpec, mailFloors)
	})
	t.Run("x509", func(t *testing.T) {
		jobs, skipped := mailJobs(rows, "x509.log")
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "x509", jobs, x509Spec, mailFloors)
	})
}
