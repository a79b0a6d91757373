package analyze

import (
	"reflect"
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

// TestMillisecondTimesInJSONLogs: Zeek's JSON writer with
// LogAscii::json_timestamps=JSON::TS_MILLIS (or TS_MILLIS_UNSIGNED), the
// setting for shipping logs to Elasticsearch, writes every time as an
// integer count of milliseconds ("ts":1714557600500). Read as seconds, a
// record would lie 54,000 years ahead and every window (a scan's 300 s,
// a beacon's intervals) be a thousand times too short: the times are read
// as epoch seconds, as in a log with TS_EPOCH, and so merged in order with
// the other logs (a conn record at its end, ts + duration); intervals
// (duration) and counts stay as they are.
func TestMillisecondTimesInJSONLogs(t *testing.T) {
	dir := t.TempDir()
	conn := writeFile(t, dir, "conn.log",
		`{"ts":1714557600500,"uid":"Ca","id.orig_h":"10.0.0.5","id.orig_p":40000,"id.resp_h":"10.0.0.9","id.resp_p":1,"proto":"tcp","duration":0.25,"orig_bytes":123456789012345}`+"\n"+
			`{"ts":1714557601000,"uid":"Cb","id.orig_h":"10.0.0.5","id.orig_p":40001,"id.resp_h":"10.0.0.9","id.resp_p":2,"proto":"tcp"}`+"\n")
	x509 := writeFile(t, dir, "x509.log",
		`{"ts":1714557600600,"id":"F1","certificate.not_valid_before":1700000000000,"certificate.not_valid_after":1800000000000,"certificate.key_length":2048}`+"\n")
	dns := writeFile(t, dir, "dns.log", `{"ts":1714557600.7,"uid":"Cc","query":"a.example"}`+"\n")
	col := &arrivalCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	runTo(t, cfg, conn, x509, dns)
	c, x := col.lines["conn"], col.lines["x509"]
	if len(c) != 2 || len(x) != 1 {
		t.Fatalf("%d conn and %d x509 records", len(c), len(x))
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"conn ts", c[0]["ts"], 1714557600.5}, {"conn duration", c[0]["duration"], 0.25},
		{"conn orig_bytes", c[0]["orig_bytes"], 123456789012345.0}, {"conn ts 2", c[1]["ts"], 1714557601.0},
		{"x509 ts", x[0]["ts"], 1714557600.6}, {"not_valid_before", x[0]["certificate.not_valid_before"], 1700000000.0},
		{"not_valid_after", x[0]["certificate.not_valid_after"], 1800000000.0}, {"key_length", x[0]["certificate.key_length"], 2048.0},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %#v, want %#v", ch.what, ch.got, ch.want)
		}
	}
	if want := []string{"x509@1.7145576006e+09", "dns@1.7145576007e+09", "conn@1.7145576005e+09", "conn@1.714557601e+09"}; !reflect.DeepEqual(col.order, want) {
		t.Errorf("order %v, want %v", col.order, want)
	}
}

// TestISOTimesAfterRecordWithoutTS: a stream of every log in one file
// (Corelight's export, each record with its _path) starts, when the
// sensor starts, with loaded_scripts records, which have no ts. Their
// lack of a time must not decide that the file's times are epoch
// seconds: the records after them, with ISO 8601 times, are read with
// epoch ones.
func TestISOTimesAfterRecordWithoutTS(t *testing.T) {
	dir := t.TempDir()
	log := writeFile(t, dir, "stream.log",
		`{"_path":"loaded_scripts","_system_name":"s1","name":"/opt/zeek/share/zeek/base/init-bare.zeek"}`+"\n"+
			`{"_path":"conn","_system_name":"s1","_write_ts":"2024-05-01T10:00:01.000000Z","ts":"2024-05-01T10:00:00.500000Z","uid":"Ca","id.orig_h":"10.0.0.5","id.orig_p":40000,"id.resp_h":"10.0.0.9","id.resp_p":1,"proto":"tcp"}`+"\n")
	col := &factCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	runTo(t, cfg, log)
	c := col.lines["conn"]
	if len(c) != 1 || len(col.lines["loaded_scripts"]) != 1 {
		t.Fatalf("records: %v", col.lines)
	}
	if c[0]["ts"] != 1714557600.5 || c[0]["_write_ts"] != 1714557601.0 {
		t.Errorf("conn ts %#v, _write_ts %#v, want 1714557600.5 and 1714557601", c[0]["ts"], c[0]["_write_ts"])
	}
}
