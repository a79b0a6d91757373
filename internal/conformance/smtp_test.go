package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// smtpSpec compares smtp.log (fuids come from file analysis, which Vigil
// does not do). Records pair by connection tuple, then by agreement.
var smtpSpec = &LogSpec{
	Fields: []Field{
		{"trans_depth", Text}, {"helo", Text}, {"mailfrom", Text}, {"rcptto", TextList},
		{"date", Text}, {"from", Text}, {"to", TextList}, {"cc", TextList}, {"reply_to", Text},
		{"msg_id", Text}, {"in_reply_to", Text}, {"subject", Text}, {"x_originating_ip", Text},
		{"first_received", Text}, {"second_received", Text}, {"last_reply", Text},
		{"path", TextList}, {"user_agent", Text}, {"tls", Text},
	},
	Keys:  tupleFields,
	Label: "trans_depth",
}

// smtpFloors are set just under what TestSMTPConformance reaches (25/25
// rows since stream reassembly gives up a hole once the peer acknowledges
// past it, as Zeek does: smtp-bdat-gap).
var smtpFloors = logFloors{rows: 0.99, fields: 0.999}

// smtpExcluded are baselines made with test scripts that change what
// smtp.log holds.
var smtpExcluded = map[string]string{
	"scripts.base.protocols.smtp.mail-transactions-invalid-disable-analyzer": "test script lowers SMTP::max_invalid_mail_transactions so the analyzer is disabled mid-session",
}

func smtpJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	skipped = map[string]string{}
	for _, r := range rows {
		if !strings.HasPrefix(r.Dir, "scripts.base.protocols.smtp.") {
			continue
		}
		if why, ok := smtpExcluded[r.Dir]; ok {
			skipped[r.Dir] = why
			continue
		}
		if !r.HasFile("smtp.log") {
			skipped[r.Dir] = "no smtp.log baseline"
			continue
		}
		jobs = append(jobs, logJob{r, "smtp.log"})
	}
	return jobs, skipped
}

// TestSMTPConformance compares the pipeline's smtp.log with Zeek's SMTP
// baselines on the traces they were made from.
func TestSMTPConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := smtpJobs(rows)
	logExcluded(t, skipped)
	fixedJobs(t, zeekDir, "smtp", jobs, smtpSpec, smtpFloors, nil, func(base *record.ZeekTSV, ours []Rec) {
		sortSets(base, ours, "rcptto", "to", "cc")
	})
}
