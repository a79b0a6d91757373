package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto/ftp"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// ftpSpec compares ftp.log (mime_type and fuid come from the data
// connection's file analysis, which Vigil does not do). Records pair by
// connection tuple, then by agreement and ts.
var ftpSpec = &LogSpec{
	Fields: []Field{
		{"user", Text}, {"password", Text}, {"command", Text}, {"arg", Text}, {"file_size", Text},
		{"reply_code", Text}, {"reply_msg", Text}, {"data_channel.passive", Text},
		{"data_channel.orig_h", Text}, {"data_channel.resp_h", Text}, {"data_channel.resp_p", Text},
	},
	Keys:  tupleFields,
	Label: "command",
}

// ftpFloors are set just under what TestFTPConformance reaches.
var ftpFloors = logFloors{rows: 1, fields: 1}

// ftpExcluded are baselines made with test scripts whose settings Vigil
// does not emulate.
var ftpExcluded = map[string]string{
	"scripts.base.protocols.ftp.ftp-max-arg-length":       "test script lowers FTP::max_arg_length and max_reply_msg_length to 17",
	"scripts.base.protocols.ftp.ftp-max-user-length":      "test script lowers FTP::max_user_length and max_password_length",
	"scripts.base.protocols.ftp.ftp-max-pending-commands": "test script lowers FTP::max_pending_commands (commands beyond it are not queued)",
}

// ftpExtra are the commands that test scripts add to FTP::logged_commands
// (emulated by adding them to ftp.LoggedCommands for the job).
var ftpExtra = map[string][]string{
	"scripts.base.protocols.ftp.ftp-auth-tls":                       {"<init>", "AUTH"},
	"scripts.base.protocols.ftp.ftp-invalid-reply-code":             {"USER", "PASS"},
	"scripts.base.protocols.ftp.ftp-missing-reply-code":             {"USER", "PASS", "SYST"},
	"scripts.base.protocols.ftp.ftp-missing-space-after-reply-code": {"USER", "PASS"},
	"scripts.base.protocols.ftp.ftp-max-command-length":             {"USER", "SYST"},
	"scripts.base.protocols.ftp.ftp-max-pending-commands":           {"USER", "SYST"},
	"scripts.base.protocols.ftp.ftp-multiline-reply":                {"<init>", "USER", "PASS"},
	"scripts.base.protocols.ftp.ftp-samba-retr":                     {"USER", "PASS"},
	"scripts.base.protocols.ftp.ftp-password-pass-command":          {"USER", "PASS"},
	"scripts.base.protocols.ftp.ftp-password-pass-command-hidden":   {"USER", "PASS"},
}

// ftpCapture are baselines whose test script also captures passwords
// (FTP::default_capture_password).
var ftpCapture = map[string]bool{
	"scripts.base.protocols.ftp.ftp-password-pass-command": true,
}

func ftpJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	skipped = map[string]string{}
	for _, r := range rows {
		if !strings.HasPrefix(r.Dir, "scripts.base.protocols.ftp.") {
			continue
		}
		if why, ok := ftpExcluded[r.Dir]; ok {
			skipped[r.Dir] = why
			continue
		}
		if !r.HasFile("ftp.log") {
			skipped[r.Dir] = "no ftp.log baseline"
			continue
		}
		jobs = append(jobs, logJob{r, "ftp.log"})
	}
	return jobs, skipped
}

// TestFTPConformance compares the pipeline's ftp.log with Zeek's FTP
// baselines on the traces they were made from.
func TestFTPConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := ftpJobs(rows)
	logExcluded(t, skipped)
	setup := func(j logJob) func() {
		saved := ftp.LoggedCommands
		ftp.LoggedCommands = map[string]bool{}
		for c := range saved {
			ftp.LoggedCommands[c] = true
		}
		for _, c := range ftpExtra[j.row.Dir] {
			ftp.LoggedCommands[c] = true
		}
		ftp.CapturePasswords = ftpCapture[j.row.Dir]
		return func() { ftp.LoggedCommands, ftp.CapturePasswords = saved, false }
	}
	fixedJobs(t, zeekDir, "ftp", jobs, ftpSpec, ftpFloors, setup, nil)
}
