package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

const tsvConn = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\tlocal_orig\ttunnel_parents\n" +
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tbool\tset[string]\n" +
	"1714417137.321305\tCa\t10.0.0.11\t60570\t239.255.255.250\t1900\tudp\t-\t3.012643\tT\t(empty)\n" +
	"1714417138.5\tCb\t2001:db8::1\t443\t2001:db8::2\t51000\ttcp\tssl\t-\tF\tCx,Cy\n" +
	"#close\t2024-04-29-16-00-00\n"

func TestZeekLogsAreRecordInputs(t *testing.T) {
	dir := t.TempDir()
	tsv := filepath.Join(dir, "conn.15:00:00-16:00:00.log")
	js := filepath.Join(dir, "dns.log")
	if err := os.WriteFile(tsv, []byte(tsvConn), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(js, []byte(`{"ts":1.5,"uid":"Cc","query":"example.com"}`+"\n\n"+`{"ts":2.5,"uid":"Cd","query":"example.org"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &factCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	sum, out := runTo(t, cfg, tsv, js)
	if sum.LogRecords != 4 {
		t.Errorf("LogRecords = %d, want 4", sum.LogRecords)
	}
	conns := col.lines["conn"]
	if len(conns) != 2 || len(col.lines["dns"]) != 2 {
		t.Fatalf("consumers got %d conn and %d dns records", len(conns), len(col.lines["dns"]))
	}
	first, second := conns[0], conns[1]
	checks := []struct {
		got, want any
	}{
		{first["ts"], 1714417137.321305}, {first["id.orig_p"], 60570.0}, {first["local_orig"], true},
		{first["service"], nil}, {len(first["tunnel_parents"].([]any)), 0}, {first["duration"], 3.012643},
		{second["tunnel_parents"].([]any)[1], "Cy"}, {second["local_orig"], false}, {second["id.orig_h"], "2001:db8::1"},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %#v, want %#v", i, c.got, c.want)
		}
	}
	if got := readLog(t, filepath.Join(out, "conn.log")); len(got) != 2 {
		t.Errorf("conn.log has %d records, want 2", len(got))
	}
}

// TestRITALogsRead: RITA's Zeek logs (TSV, gzip, rotated names) are read
// whole: every row becomes one record.
func TestRITALogsRead(t *testing.T) {
	root := testcorpus.Require(t)
	logs, _ := filepath.Glob(filepath.Join(root, "rita", "test_data", "proxy_rolling", "conn.*.log.gz"))
	if len(logs) == 0 {
		t.Fatal("no RITA conn logs")
	}
	col := &factCollector{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	sum, _ := runTo(t, cfg, logs...)
	if sum.LogRecords == 0 || uint64(len(col.lines["conn"])) != sum.LogRecords {
		t.Fatalf("read %d records, consumers got %d conn records", sum.LogRecords, len(col.lines["conn"]))
	}
	for _, c := range col.lines["conn"][:10] {
		if _, ok := c["ts"].(float64); !ok {
			t.Fatalf("ts not a number: %v", c)
		}
	}
	t.Logf("%d conn records from %d RITA logs", sum.LogRecords, len(logs))
}

// alertTaker is a consumer that also takes alerts (as the detection
// engine does).
type alertTaker struct {
	factCollector
	alerts []alert.Alert
}

func (a *alertTaker) Add(x alert.Alert) bool {
	a.alerts = append(a.alerts, x)
	return true
}

// TestEVEInput: a Suricata EVE file given to analyze becomes records
// (flow, dns, http, tls events) and alerts for the consumer that takes
// them; its malformed lines are skipped and reported, the rest kept.
func TestEVEInput(t *testing.T) {
	eve := filepath.Join("..", "eve", "testdata", "eve.json")
	col := &alertTaker{}
	cfg := DefaultConfig()
	cfg.Consumers = []Consumer{col}
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	_, err := Run(context.Background(), cfg, []string{eve})
	if err == nil || !strings.Contains(err.Error(), "malformed EVE lines skipped") {
		t.Errorf("error %v, want the malformed lines reported", err)
	}
	if len(col.alerts) == 0 || len(col.lines["conn"]) != 1 || len(col.lines["http"]) != 1 || len(col.lines["ssl"]) != 1 {
		t.Fatalf("%d alerts, %d conn, %d http, %d ssl records", len(col.alerts), len(col.lines["conn"]), len(col.lines["http"]), len(col.lines["ssl"]))
	}
	for _, a := range col.alerts {
		if a.Class == "" || a.Src == "" || a.Summary == "" {
			t.Errorf("alert %+v", a)
		}
	}
	if got := readLog(t, filepath.Join(cfg.OutDir, "http.log")); len(got) != 1 || got[0]["uid"] == nil {
		t.Errorf("http.log: %v", got)
	}
}
