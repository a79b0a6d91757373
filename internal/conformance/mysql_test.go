package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// mysqlSpec compares mysql.log: a login record per connection, then one
// per command. Records pair by connection tuple, then by agreement.
var mysqlSpec = &LogSpec{
	Fields: []Field{
		{"cmd", Text}, {"arg", Text}, {"success", Text}, {"rows", Text}, {"response", Text},
	},
	Keys:  tupleFields,
	Label: "cmd",
}

// mysqlFloors are set at what TestMySQLConformance reaches: every row of
// Zeek's MySQL baselines agrees on every field.
var mysqlFloors = logFloors{rows: 1, fields: 1}

// TestMySQLConformance compares the pipeline's mysql.log with Zeek's MySQL
// baselines: failed and successful logins (mysql_native_password,
// caching_sha2_password with its full authentication and an
// authentication switch), COM_CHANGE_USER, query attributes (MySQL 8 and
// 9), CLIENT_DEPRECATE_EOF result sets, field lists, statistics and an
// Amazon RDS server.
func TestMySQLConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "mysql.log", nil)
	logExcluded(t, skipped)
	if len(jobs) < 14 {
		t.Fatalf("%d mysql.log baselines, want 14", len(jobs))
	}
	logConformance(t, zeekDir, "mysql", jobs, mysqlSpec, mysqlFloors)
}
