package mirai

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

func TestMiraiScanThenLogin(t *testing.T) {
	var l []dt.Line
	for h := 1; h <= 200; h++ {
		port := 23
		if h%10 == 0 {
			port = 2323
		}
		l = append(l, dt.Rec("_syn_seq_eq_dst", map[string]any{"ts": 1000 + float64(h)/20, "src": "10.66.0.66", "dst": fmt.Sprintf("10.66.%d.%d", h/250, h%250), "dst_p": port}))
	}
	l = append(l, dt.Conn{TS: 1020, Duration: 40, Src: "10.66.0.66", SrcP: 45000, Dst: "10.66.0.20", DstP: 23, OrigBytes: 300, RespBytes: 900}.Line())
	alerts := dt.Run(t, New(DefaultConfig()), l)
	scan := dt.Find(t, alerts, "iot.mirai_scan")
	if scan.Src != "10.66.0.66" || dt.Num(t, scan, "hosts") != 200 || dt.Num(t, scan, "syns") != 200 {
		t.Errorf("scan %s", scan.JSON())
	}
	login := dt.Find(t, alerts, "iot.default_creds")
	if login.Src != "10.66.0.66" || login.Dst != "10.66.0.20" {
		t.Errorf("login %s", login.JSON())
	}
}

// TestLoginRecordBeforeScanFacts: the telnet session's conn record may
// reach the detector before the scan's packet facts (different streams);
// the login is still tied to the scan.
func TestLoginRecordBeforeScanFacts(t *testing.T) {
	l := []dt.Line{dt.Conn{TS: 1020, Duration: 40, Src: "10.66.0.66", SrcP: 45000, Dst: "10.66.0.20", DstP: 23, OrigBytes: 300, RespBytes: 900}.Line()}
	for h := 1; h <= 60; h++ {
		l = append(l, dt.Rec("_syn_seq_eq_dst", map[string]any{"ts": 1000 + float64(h)/20, "src": "10.66.0.66", "dst": fmt.Sprintf("10.66.0.%d", h), "dst_p": 23}))
	}
	login := dt.Find(t, dt.RunAsGiven(t, New(DefaultConfig()), l), "iot.default_creds")
	if login.Src != "10.66.0.66" || login.Dst != "10.66.0.20" {
		t.Errorf("login %s", login.JSON())
	}
}

func TestDefaultCredsFromLogs(t *testing.T) {
	l := []dt.Line{
		dt.Rec("ftp", map[string]any{"ts": 1000.0, "uid": "F1", "id.orig_h": "10.66.0.66", "id.orig_p": 4000, "id.resp_h": "10.66.0.21", "id.resp_p": 21, "user": "admin", "password": "admin", "command": "RETR", "reply_code": 226}),
		dt.Rec("http", map[string]any{"ts": 1001.0, "uid": "H1", "id.orig_h": "10.66.0.66", "id.orig_p": 4001, "id.resp_h": "10.66.0.80", "id.resp_p": 80, "username": "root", "password": "xc3511", "status_code": 200}),
	}
	alerts := dt.Merged(dt.Run(t, New(DefaultConfig()), l))
	if len(alerts) != 2 || alerts[0].Evidence["password"] != "admin" || alerts[1].Dst != "10.66.0.80" {
		for _, a := range alerts {
			t.Logf("%s", a.JSON())
		}
		t.Fatalf("got %d alerts", len(alerts))
	}
}

func TestQuiet(t *testing.T) {
	l := []dt.Line{
		dt.Conn{TS: 1000, Duration: 40, Src: "10.0.0.9", SrcP: 45000, Dst: "10.0.0.20", DstP: 23, OrigBytes: 300, RespBytes: 900}.Line(),
		dt.Rec("ftp", map[string]any{"ts": 1000.0, "id.orig_h": "10.0.0.9", "id.orig_p": 4000, "id.resp_h": "10.0.0.21", "id.resp_p": 21, "user": "alice", "command": "RETR", "reply_code": 226}),
		dt.Rec("ftp", map[string]any{"ts": 1000.0, "id.orig_h": "10.0.0.9", "id.orig_p": 4000, "id.resp_h": "10.0.0.21", "id.resp_p": 21, "user": "admin", "password": "S3cure-Passphrase!", "command": "RETR", "reply_code": 226}),
		dt.Rec("http", map[string]any{"ts": 1001.0, "id.orig_h": "10.0.0.9", "id.orig_p": 4001, "id.resp_h": "10.0.0.80", "id.resp_p": 80, "username": "root", "status_code": 401}),
	}
	for i := 0; i < 5; i++ { // a few odd SYNs are not a scan
		l = append(l, dt.Rec("_syn_seq_eq_dst", map[string]any{"ts": 1000 + float64(i), "src": "10.0.0.9", "dst": fmt.Sprintf("10.0.0.%d", 30+i), "dst_p": 23}))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
}
