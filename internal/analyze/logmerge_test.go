package analyze

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// arrivalCollector is a consumer that notes each record as "log@ts" in the
// order it was handed over.
type arrivalCollector struct {
	factCollector
	mu    sync.Mutex
	order []string
}

func (o *arrivalCollector) Record(log string, line []byte) {
	o.factCollector.Record(log, line)
	o.mu.Lock()
	defer o.mu.Unlock()
	got := o.factCollector.lines[log]
	o.order = append(o.order, fmt.Sprintf("%s@%v", log, got[len(got)-1]["ts"]))
}

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tsvConnRows is a Zeek TSV conn.log holding rows of ts, uid and duration.
func tsvConnRows(rows ...string) string {
	head := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\n"
	return head + strings.Join(rows, "") + "#close\t2026-01-01-00-00-00\n"
}

// TestLogsMergedInTimeOrder: log files are one stream ordered by when
// each record was complete (ts + duration), as a sensor would have
// written them: a connection's ssh.log record comes before its conn.log
// record, whatever the order the files are given in, and a rotated
// earlier file comes first.
func TestLogsMergedInTimeOrder(t *testing.T) {
	dir := t.TempDir()
	conn := writeFile(t, dir, "conn.log", tsvConnRows(
		"100.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n",
		"110.0\tCb\t10.0.0.1\t5001\t10.0.0.2\t22\ttcp\t1.0\n"))
	ssh := writeFile(t, dir, "ssh.log", `{"ts":102.0,"uid":"Ca","auth_success":true}`+"\n"+
		`{"ts":110.5,"uid":"Cb","auth_success":false}`+"\n")
	earlier := writeFile(t, dir, "conn.early.log", tsvConnRows("50.0\tC0\t10.0.0.1\t4999\t10.0.0.2\t22\ttcp\t1.0\n"))
	col := &arrivalCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	sum, out := runTo(t, cfg, conn, ssh, earlier)
	want := []string{"conn@50", "ssh@102", "conn@100", "ssh@110.5", "conn@110"}
	if !reflect.DeepEqual(col.order, want) {
		t.Errorf("records came as %v, want %v", col.order, want)
	}
	if sum.LogRecords != 5 {
		t.Errorf("LogRecords = %d, want 5", sum.LogRecords)
	}
	if got := readLog(t, filepath.Join(out, "conn.log")); len(got) != 3 || got[0]["uid"] != "C0" {
		t.Errorf("conn.log: %v", got)
	}
}

// TestLogMergeOpensFilesWhenDue: a day of hourly rotated logs keeps one
// file of each log open, not all of them, and every record is read once.
func TestLogMergeOpensFilesWhenDue(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for h := 23; h >= 0; h-- { // given newest first: the merge orders them
		base := 1767225600 + 3600*h
		var conn, dns strings.Builder
		for i := 0; i < 3; i++ {
			ts := base + 1000*i
			fmt.Fprintf(&conn, "%d.0\tC%d_%d\t10.0.0.1\t5000\t10.0.0.2\t53\tudp\t0.5\n", ts, h, i)
			fmt.Fprintf(&dns, `{"ts":%d.2,"uid":"C%d_%d","query":"example.com"}`+"\n", ts, h, i)
		}
		paths = append(paths,
			writeFile(t, dir, fmt.Sprintf("conn.%02d:00:00-%02d:00:00.log", h, h+1), tsvConnRows(conn.String())),
			writeFile(t, dir, fmt.Sprintf("dns.%02d:00:00-%02d:00:00.log", h, h+1), dns.String()))
	}
	m := newLogMerge(paths)
	most, n, last := 0, 0, 0.0
	for it := m.item(); it != nil; it = m.item() {
		most = max(most, len(m.open))
		if it.key < last {
			t.Fatalf("record %d at %v after one at %v", n, it.key, last)
		}
		last = it.key
		n++
		m.pop()
	}
	if len(m.errs) > 0 {
		t.Fatal(m.errs)
	}
	if n != 24*6 {
		t.Errorf("read %d records, want %d", n, 24*6)
	}
	if most > 2 {
		t.Errorf("%d files open at once, want at most 2 (one per log)", most)
	}
}

// TestISOTimesInJSONLogs: a JSON log written with ISO 8601 times (Zeek's
// LogAscii::json_timestamps=JSON::TS_ISO8601, Corelight's default) is
// read with epoch times, as the detectors need; other strings stay as
// they are, and a log with epoch times is handed on byte for byte.
func TestISOTimesInJSONLogs(t *testing.T) {
	dir := t.TempDir()
	iso := writeFile(t, dir, "x509.log",
		`{"ts":"2026-01-01T00:00:01.500000Z","id":"F1","certificate.not_valid_after":"2026-01-02T01:00:00+01:00","note":"2026-01-01 not a time","san.dns":["a.example"]}`+"\n")
	epoch := `{"ts":1767225602.25,"uid":"Cz","query":"2026-01-01T00:00:01Z"}`
	plain := writeFile(t, dir, "dns.log", epoch+"\n")
	col := &arrivalCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	_, out := runTo(t, cfg, iso, plain)
	x := col.lines["x509"]
	if len(x) != 1 {
		t.Fatalf("x509 records: %v", x)
	}
	checks := []struct {
		field string
		want  any
	}{
		{"ts", 1767225601.5}, {"certificate.not_valid_after", 1767312000.0},
		{"note", "2026-01-01 not a time"}, {"id", "F1"},
	}
	for _, c := range checks {
		if got := x[0][c.field]; got != c.want {
			t.Errorf("%s = %#v, want %#v", c.field, got, c.want)
		}
	}
	if d := col.lines["dns"]; len(d) != 1 || d[0]["query"] != "2026-01-01T00:00:01Z" {
		t.Errorf("dns: %v", d)
	}
	b, err := os.ReadFile(filepath.Join(out, "dns.log"))
	if err != nil || strings.TrimSpace(string(b)) != epoch {
		t.Errorf("dns.log = %q (%v), want the line unchanged", b, err)
	}
	if want := []string{"x509@1.7672256015e+09", "dns@1.76722560225e+09"}; !reflect.DeepEqual(col.order, want) {
		t.Errorf("order %v, want %v", col.order, want)
	}
}

// TestLogMergeReportsBadFiles: a file that fails part way is reported
// with its name; its records before the failure and the other files'
// are kept.
func TestLogMergeReportsBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "dns.log", `{"ts":5,"uid":"Ca","query":"a.example"}`+"\n")
	long := `{"ts":6,"uid":"Cb","query":"` + strings.Repeat("a", maxLogLine) + `"}`
	bad := writeFile(t, dir, "http.log", `{"ts":4,"uid":"Cc","host":"b.example"}`+"\n"+long+"\n")
	col := &arrivalCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(t.Context(), cfg, []string{good, bad})
	if err == nil || !strings.Contains(err.Error(), "http.log") {
		t.Errorf("error %v, want http.log named", err)
	}
	if want := []string{"http@4", "dns@5"}; !reflect.DeepEqual(col.order, want) {
		t.Errorf("order %v, want %v", col.order, want)
	}
	if sum == nil || sum.LogRecords != 2 {
		t.Errorf("summary %+v", sum)
	}
}

// FuzzLogInput merges two arbitrary log files (a Zeek TSV log when the
// first starts as one, else JSON lines; the second JSON lines or an EVE
// file): it never panics, every record handed on is counted, and each
// line of the first that is a JSON object reaches the consumers as one
// (isoTimes may rewrite it).
func FuzzLogInput(f *testing.F) {
	f.Add([]byte(tsvConnRows("100.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n")), []byte(`{"ts":102.0,"uid":"Ca","auth_success":true}`), false)
	f.Add([]byte(`{"ts":"2026-01-01T00:00:01.5Z","a":"2026-01-01T00:00:01+01:00","b":[1,2]}`+"\n"+`{"ts":"x"}`), []byte(`{"ts":"2026-01-01T00:00:00Z"}`), false)
	f.Add([]byte(tsvConnRows("Inf\tCa\t10.0.0.1\t+1\t10.0.0.2\t0x10\ttcp\t01\n")), []byte(`{}`), false)
	f.Add([]byte(`{"ts":1,"duration":1e309}`), []byte(`{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP","flow":{"start":"2026-01-01T00:00:00.000000+0000","end":"2026-01-01T00:00:01.000000+0000"}}`), true)
	f.Fuzz(func(t *testing.T, a, b []byte, eveFile bool) {
		dir := t.TempDir()
		second := "ssh.log"
		if eveFile {
			second = "eve.json"
		}
		paths := []string{writeFile(t, dir, "first.log", string(a)), writeFile(t, dir, second, string(b))}
		col := &validCounter{}
		cfg := DefaultConfig()
		cfg.Consumers = []Consumer{col}
		cfg.OutDir = filepath.Join(dir, "out")
		sum, _ := Run(t.Context(), cfg, paths)
		if sum == nil {
			return // the second is no log, and so taken for a capture that is none
		}
		if sum.LogRecords != uint64(col.records) {
			t.Fatalf("LogRecords %d, consumers got %d", sum.LogRecords, col.records)
		}
		for _, line := range col.invalid { // only lines passed on as they were may be broken
			if !bytes.Contains(a, line) && !bytes.Contains(b, line) {
				t.Fatalf("made a line that is not JSON: %q", line)
			}
		}
		if sniffLog(paths[0]) != jsonLog || bytes.HasPrefix(a, []byte{0x1f, 0x8b}) {
			return
		}
		want := 0
		for _, line := range bytes.Split(a, []byte("\n")) {
			if line = bytes.TrimSpace(line); len(line) > 0 && line[0] == '{' && json.Valid(line) {
				want++
			}
		}
		if col.valid["first"] != want {
			t.Fatalf("%d JSON objects in the file, %d reached the consumers", want, col.valid["first"])
		}
	})
}

// validCounter is a consumer that counts records, and per log those that
// are valid JSON.
type validCounter struct {
	records int
	valid   map[string]int
	invalid [][]byte
}

func (v *validCounter) Record(log string, line []byte) {
	v.records++
	if v.valid == nil {
		v.valid = map[string]int{}
	}
	if json.Valid(line) {
		v.valid[log]++
	} else {
		v.invalid = append(v.invalid, bytes.Clone(line))
	}
}

// TestOwnOutputIsInput: Vigil's own output directory given back as
// input, empty logs included (weird.log without anomalies), is read as
// logs, not refused as a capture that is none.
func TestOwnOutputIsInput(t *testing.T) {
	dir := t.TempDir()
	conn := writeFile(t, dir, "conn.log", `{"ts":1.5,"uid":"Ca","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","proto":"udp"}`+"\n")
	weird := writeFile(t, dir, "weird.log", "")
	empty := writeFile(t, dir, "empty.pcap", "")
	cfg := DefaultConfig()
	if sum, _ := runTo(t, cfg, conn, weird); sum.LogRecords != 1 {
		t.Errorf("LogRecords = %d, want 1", sum.LogRecords)
	}
	cfg.OutDir = filepath.Join(dir, "out")
	if _, err := Run(t.Context(), cfg, []string{empty}); err == nil || !strings.Contains(err.Error(), "not a capture") {
		t.Errorf("an empty file not named as a log: %v, want it refused as no capture", err)
	}
}

// FuzzJSONNumber: record.IsJSONNumber agrees with encoding/json on whether a
// TSV cell is a JSON number, so a converted row is always a JSON object.
func FuzzJSONNumber(f *testing.F) {
	for _, s := range []string{"0", "-3", "443", "1714417137.321305", "1e+20", "-0.0", "Inf", "NaN", "+1", "0x10", "01", "1.", ".5", "1e", "-", "", " 1", "1_0", "2E-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		isNumber := len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && json.Valid([]byte(s)) && s[len(s)-1] > ' '
		if got := record.IsJSONNumber(s); got != isNumber {
			t.Fatalf("IsJSONNumber(%q) = %v, encoding/json says %v", s, got, isNumber)
		}
	})
}

// TestHostileLogNames: a Zeek log's #path names the log, and so a file in
// the output directory: one that is a path ("../../escaped") or holds a
// tab is not taken, and the file's own name is used; one that names a log
// Vigil derives itself ("alerts") is prefixed (zeek_alerts); nothing is
// written outside the output directory.
func TestHostileLogNames(t *testing.T) {
	dir := t.TempDir()
	for i, path := range []string{"../../escaped", "con\tn", "a/b", ".", strings.Repeat("x", 65)} {
		in := writeFile(t, dir, fmt.Sprintf("in%d.log", i), "#separator \\x09\n#path\t"+path+"\n#fields\tts\tuid\n#types\ttime\tstring\n100.0\tCa\n")
		out := filepath.Join(dir, fmt.Sprintf("deep/er/out%d", i))
		cfg := DefaultConfig()
		cfg.OutDir = out
		if _, err := Run(t.Context(), cfg, []string{in}); err != nil {
			t.Fatalf("#path %q: %v", path, err)
		}
		if got := readLog(t, filepath.Join(out, fmt.Sprintf("in%d.log", i))); len(got) != 1 || got[0]["uid"] != "Ca" {
			t.Errorf("#path %q: in%d.log holds %v", path, i, got)
		}
	}
	// A sensor's log named as one Vigil derives itself keeps its name,
	// prefixed: Vigil's own alerts.log is the engine's.
	in := writeFile(t, dir, "in-alerts.log", "#separator \\x09\n#path\talerts\n#fields\tts\tuid\n#types\ttime\tstring\n100.0\tCa\n")
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(dir, "deep/er/out-alerts")
	if _, err := Run(t.Context(), cfg, []string{in}); err != nil {
		t.Fatalf("#path alerts: %v", err)
	}
	if got := readLog(t, filepath.Join(cfg.OutDir, "zeek_alerts.log")); len(got) != 1 {
		t.Errorf("#path alerts: zeek_alerts.log holds %v", got)
	}
	var strays []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "/deep/er/out") && !strings.HasPrefix(filepath.Base(p), "in") {
			strays = append(strays, p)
		}
		return nil
	})
	if len(strays) > 0 {
		t.Errorf("written outside the output directories: %v", strays)
	}
}

// TestLogDirectoryIsInput: a directory of logs (Zeek's archive: a day's
// rotated files, gzipped, in a dated folder; Vigil's own output) is read
// as logs; a directory holding a capture is read for its captures only,
// as before (logs beside captures are mostly an earlier run's output),
// and the summary notes the logs passed over.
func TestLogDirectoryIsInput(t *testing.T) {
	dir := t.TempDir()
	day := filepath.Join(dir, "2026-01-01")
	if err := os.Mkdir(day, 0o755); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(tsvConnRows("50.0\tC0\t10.0.0.1\t4999\t10.0.0.2\t53\tudp\t1.0\n")))
	zw.Close()
	writeFile(t, day, "conn.00:00:00-01:00:00.log.gz", gz.String())
	writeFile(t, day, "dns.00:00:00-01:00:00.log", `{"ts":50.5,"uid":"C0","query":"example.com"}`+"\n")
	writeFile(t, day, "weird.log", "")
	col := &arrivalCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	runTo(t, cfg, dir)
	if want := []string{"dns@50.5", "conn@50"}; !reflect.DeepEqual(col.order, want) {
		t.Errorf("records %v, want %v", col.order, want)
	}

	mixed := t.TempDir()
	copySynth(t, mixed, "sample.pcap", 200, 20)
	writeFile(t, mixed, "notice.log", `{"ts":1,"note":"Test"}`+"\n")
	col = &arrivalCollector{}
	cfg.Consumers = []Consumer{col}
	sum, _ := runTo(t, cfg, mixed)
	if len(sum.Notes) != 1 || !strings.Contains(sum.Notes[0], "the 1 files below it named as logs were not") {
		t.Errorf("notes %q, want one saying the log was passed over", sum.Notes)
	}
	if sum.LogRecords != 0 || sum.Packets == 0 || len(col.lines["notice"]) != 0 {
		t.Errorf("mixed directory: %d log records, %d packets, notice %v", sum.LogRecords, sum.Packets, col.lines["notice"])
	}
}

// TestOutputDirectoryIsNotInput: a log named inside the output directory
// is refused (the run would overwrite it while reading it); a directory
// read for logs is read around the output directory inside it, so a
// second run does not read the first one's logs.
func TestOutputDirectoryIsNotInput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "dns.log", `{"ts":50.5,"uid":"C0","query":"example.com"}`+"\n")
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(dir, "out")
	for run := range 2 {
		sum, err := Run(t.Context(), cfg, []string{dir})
		if err != nil || sum.LogRecords != 1 {
			t.Fatalf("run %d: %v, %d records, want 1", run, err, sum.LogRecords)
		}
	}
	_, err := Run(t.Context(), cfg, []string{filepath.Join(cfg.OutDir, "dns.log")})
	if err == nil || !strings.Contains(err.Error(), "output directory") {
		t.Errorf("a log in the output directory: %v, want it refused", err)
	}
	if got := readLog(t, filepath.Join(cfg.OutDir, "dns.log")); len(got) != 1 {
		t.Errorf("the output's dns.log holds %d records after the refused run, want 1", len(got))
	}
}

// TestEVEAllMalformedIsReported: an EVE file whose every line is malformed
// (events re-shipped with "@timestamp" instead of Suricata's "timestamp")
// yields no record, and the run says why ("N malformed EVE lines
// skipped"), not a clean run with nothing read.
func TestEVEAllMalformedIsReported(t *testing.T) {
	dir := t.TempDir()
	line := `{"@timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"10.0.0.1","src_port":5000,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","alert":{"signature":"x","signature_id":1}}` + "\n"
	p := filepath.Join(dir, "eve.json")
	if err := os.WriteFile(p, []byte(line+line+line), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(t.Context(), cfg, []string{p})
	if sum == nil {
		t.Fatalf("no summary: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("Run error = %v, want the 3 malformed EVE lines reported (LogRecords %d)", err, sum.LogRecords)
	}
}

// TestLogProgressAndCancel: reading logs draws the progress bar in
// records, against the files' on-disk bytes, and stops when its context
// is done, saying so.
func TestLogProgressAndCancel(t *testing.T) {
	var bar bytes.Buffer
	drawProgress(&bar, progressState{done: 50, all: 100, packets: 10, records: true}, time.Second)
	if s := bar.String(); !strings.Contains(s, "50.0%") || !strings.Contains(s, "10 records 10 records/s") {
		t.Errorf("bar %q", s)
	}
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&lines, `{"ts":%d,"uid":"C%d"}`+"\n", 1000+i, i)
	}
	log := writeFile(t, dir, "dns.log", lines.String())
	m := newLogMerge([]string{log})
	if m.size != int64(lines.Len()) {
		t.Errorf("size %d, want %d", m.size, lines.Len())
	}
	for it := m.item(); it != nil; it = m.item() {
		m.pop()
	}
	if m.read.Load() != int64(lines.Len()) {
		t.Errorf("read %d bytes, want %d", m.read.Load(), lines.Len())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	n, err := readLogs(ctx, []string{log}, newLogSink(nil, newHostStats()), nil)
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("cancelled: %d records, %v", n, err)
	}
}

// orderConsumer records the order in which records and alerts reach
// it: "r" and a record's ts, "a" and an alert's.
type orderConsumer struct{ seq []string }

func (s *orderConsumer) Record(log string, line []byte) {
	var r rec.Rec
	if err := r.Parse(log, line); err == nil {
		s.seq = append(s.seq, fmt.Sprintf("r%.0f", r.TS()))
	}
}

func (s *orderConsumer) Add(a alert.Alert) bool {
	s.seq = append(s.seq, fmt.Sprintf("a%.0f", a.TS))
	return true
}

// TestEVEAlertsInTimeOrder: the alerts of an EVE file reach the consumer
// that takes alerts in their time order among the records of the other
// logs, from the goroutine that hands it the records. They were added
// from the goroutine reading the logs while the writer's goroutine handed
// the records: a data race on the engine (seen with -race), and the
// alerts came before records older than them.
func TestEVEAlertsInTimeOrder(t *testing.T) {
	dir := t.TempDir()
	var conns, eve strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&conns, `{"ts":%d,"uid":"C%d","id.orig_h":"10.0.0.1","id.orig_p":%d,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp"}`+"\n", 1767225600+i, i, 40000+i)
	}
	for i := range 30 {
		ts := time.Unix(1767225600+int64(i)*100+50, 0).UTC().Format("2006-01-02T15:04:05.000000+0000")
		fmt.Fprintf(&eve, `{"timestamp":%q,"event_type":"alert","src_ip":"10.0.0.9","src_port":5000,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","alert":{"signature":"x","signature_id":%d,"category":"Misc activity","severity":3}}`+"\n", ts, i+1)
	}
	writeFile(t, dir, "conn.log", conns.String())
	writeFile(t, dir, "eve.json", eve.String())
	seq := &orderConsumer{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{seq}
	runTo(t, cfg, dir)
	// Everything here is in time order, records and alerts alike.
	alerts, last := 0, 0
	for i, s := range seq.seq {
		var ts int
		fmt.Sscanf(s[1:], "%d", &ts)
		if ts < last {
			t.Fatalf("%s after %s (item %d): want the alerts in time order among the records", s, seq.seq[i-1], i)
		}
		last = ts
		if s[0] == 'a' {
			alerts++
		}
	}
	if alerts != 30 {
		t.Errorf("%d alerts reached the consumer, want 30", alerts)
	}
}
