package analyze

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestZeekTSVEscapesDecoded: Zeek's ASCII writer escapes, as \xHH, every
// backslash (a Windows path in smb_files.log, a "..\" traversal in an
// http.log uri), every byte that is not printable, a set separator inside
// a set or vector element, and a value that would read as the unset mark
// (a User-Agent of "-" is written "\x2d"). Zeek's JSON writer gives the
// bytes themselves, so the same traffic logged as TSV must make the same
// records as logged as JSON: the detectors, the intel matcher and the
// inventory read the values, not Zeek's TSV escaping of them.
func TestZeekTSVEscapesDecoded(t *testing.T) {
	dir := t.TempDir()
	head := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n" +
		"#fields\tts\tuid\turi\tuser_agent\tproxied\tname\n" +
		"#types\ttime\tstring\tstring\tstring\tset[string]\tstring\n"
	row := "1714557600.5\tCa\t/scripts/..\\x5c..\\x5cwinnt/cmd.exe\t\\x2d\tO=Org\\x2cC=US,via\tcaf\\xc3\\xa9\\x09bar\\x00\n"
	log := writeFile(t, dir, "http.log", head+row)
	col := &factCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	runTo(t, cfg, log)
	recs := col.lines["http"]
	if len(recs) != 1 {
		t.Fatalf("%d http records, want 1", len(recs))
	}
	r := recs[0]
	proxied, _ := r["proxied"].([]any)
	checks := []struct{ field, got, want any }{
		{"uri", r["uri"], `/scripts/..\..\winnt/cmd.exe`},
		{"user_agent", r["user_agent"], "-"},
		{"proxied", len(proxied), 2},
		{"name", r["name"], "café\tbar\x00"},
	}
	if len(proxied) == 2 {
		checks = append(checks, struct{ field, got, want any }{"proxied[0]", proxied[0], "O=Org,C=US"})
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
}

// TestZeekBaselineEscapedVector: Zeek's own ssl.log (btest baseline of
// policy/protocols/ssl/certificate-request-info) logs the certificate
// authorities a server asks the client for as a vector of subjects, whose
// commas Zeek escapes as \x2c: each subject is one element, read as
// Zeek's JSON writer would give it.
func TestZeekBaselineEscapedVector(t *testing.T) {
	log := testcorpus.Require(t, "zeek", "testing", "btest", "Baseline", "scripts.policy.protocols.ssl.certificate-request-info", "ssl.log")
	col := &factCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	runTo(t, cfg, log)
	recs := col.lines["ssl"]
	if len(recs) != 1 {
		t.Fatalf("%d ssl records, want 1", len(recs))
	}
	cas, _ := recs[0]["requested_client_certificate_authorities"].([]any)
	if len(cas) != 1 || cas[0] != "O=SomeOrg,L=Somewhere,ST=Some-State,C=US" {
		t.Errorf("requested_client_certificate_authorities = %#v, want [\"O=SomeOrg,L=Somewhere,ST=Some-State,C=US\"]", cas)
	}
}
