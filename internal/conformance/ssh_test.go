package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// sshSpec compares ssh.log. Records pair by connection tuple.
var sshSpec = &LogSpec{
	Fields: []Field{
		{"version", Text}, {"auth_success", Text}, {"auth_attempts", Text}, {"direction", Text},
		{"client", Text}, {"server", Text}, {"cipher_alg", Text}, {"mac_alg", Text},
		{"compression_alg", Text}, {"kex_alg", Text}, {"host_key_alg", Text},
		{"host_key_fingerprint", Text},
	},
	Keys:  tupleFields,
	Label: "client",
}

// sshFloors are set just under what TestSSHConformance reaches.
var sshFloors = logFloors{rows: 1, fields: 1}

// sshJobs picks the SSH analyzer's baselines holding ssh.log (the other
// scripts.base.protocols.ssh.* dirs hold only test-script output).
func sshJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	skipped = map[string]string{}
	for _, r := range rows {
		if !strings.HasPrefix(r.Dir, "scripts.base.protocols.ssh.") {
			continue
		}
		if !r.HasFile("ssh.log") {
			skipped[r.Dir] = "no ssh.log baseline (test-script output only)"
			continue
		}
		jobs = append(jobs, logJob{r, "ssh.log"})
	}
	return jobs, skipped
}

// sshFingerprintLen is how much of the SHA256 host key fingerprint the
// baselines keep: btest's canonifier cuts the base64 digest to 32
// characters.
const sshFingerprintLen = len("SHA256:") + 32

// TestSSHConformance compares the pipeline's ssh.log with Zeek's SSH
// baselines on the traces they were made from.
func TestSSHConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := sshJobs(rows)
	logExcluded(t, skipped)
	fixedJobs(t, zeekDir, "ssh", jobs, sshSpec, sshFloors, nil, func(_ *record.ZeekTSV, ours []Rec) {
		for _, m := range ours {
			if s, ok := m["host_key_fingerprint"].(string); ok && len(s) > sshFingerprintLen {
				m["host_key_fingerprint"] = s[:sshFingerprintLen]
			}
		}
	})
}
