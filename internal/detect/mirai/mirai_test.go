package mirai

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
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

func telnetAuth(ts float64, uid string, port int, user, password string, ok bool) dt.Line {
	return dt.Rec("_telnet_auth", map[string]any{"ts": ts, "uid": uid, "id.orig_h": "10.66.0.66", "id.orig_p": port,
		"id.resp_h": "10.66.0.30", "id.resp_p": 23, "user": user, "password": password, "success": ok})
}

// TestDefaultCredsFromTelnetFacts: a successful telnet login with a pair
// of the list is a default-credential login, without any scan; refused
// pairs and other credentials are not.
func TestDefaultCredsFromTelnetFacts(t *testing.T) {
	alerts := dt.Merged(dt.Run(t, New(DefaultConfig()), []dt.Line{
		telnetAuth(1000, "T1", 40000, "root", "vizxv", false),
		telnetAuth(1001, "T2", 40001, "root", "xc3511", true),
		telnetAuth(1002, "T3", 40002, "alice", "Tr0ub4dor&3", true),
	}))
	if len(alerts) != 1 {
		t.Fatalf("alerts %v", dt.Classes(alerts))
	}
	a := alerts[0]
	if a.Class != "iot.default_creds" || a.Src != "10.66.0.66" || a.Dst != "10.66.0.30" || a.UID != "T2" ||
		a.Evidence["service"] != "telnet" || a.Evidence["password"] != "xc3511" || a.Confidence < 0.9 {
		t.Errorf("alert %s", a.JSON())
	}
}

// TestTelnetFactsOverrideSessionHeuristic: after a Mirai scan, a telnet
// session whose logins the facts saw refused is no login, one the facts
// reported is not reported twice; a session without facts (Zeek logs as
// input) is still a likely default-credential login.
func TestTelnetFactsOverrideSessionHeuristic(t *testing.T) {
	var l []dt.Line
	for h := 1; h <= 20; h++ {
		l = append(l, dt.Rec("_syn_seq_eq_dst", map[string]any{"ts": 1000 + float64(h)/20, "src": "10.66.0.66", "dst": fmt.Sprintf("10.66.0.%d", 20+h), "dst_p": 23}))
	}
	session := func(uid string, port int) dt.Line {
		return dt.Conn{TS: 1010, Duration: 2, UID: uid, Src: "10.66.0.66", SrcP: port, Dst: "10.66.0.30", DstP: 23, OrigBytes: 30, RespBytes: 90}.Line()
	}
	refused := append(append([]dt.Line{}, l...), telnetAuth(1011, "T1", 40001, "admin", "admin", false), session("T1", 40001))
	dt.Quiet(t, dropScan(dt.RunAsGiven(t, New(DefaultConfig()), refused)))

	reported := append(append([]dt.Line{}, l...), telnetAuth(1011, "T2", 40002, "root", "xc3511", true), session("T2", 40002))
	got := dropScan(dt.RunAsGiven(t, New(DefaultConfig()), reported))
	if len(got) != 1 || got[0].Evidence["password"] != "xc3511" {
		t.Errorf("want the facts' alert only, got %d: %v", len(got), dt.Classes(got))
	}

	noFacts := append(append([]dt.Line{}, l...), session("T3", 40003))
	if a := dt.Find(t, dropScan(dt.RunAsGiven(t, New(DefaultConfig()), noFacts)), "iot.default_creds"); a.Evidence["basis"] == nil {
		t.Errorf("heuristic alert %s", a.JSON())
	}
}

func dropScan(alerts []alert.Alert) []alert.Alert {
	var out []alert.Alert
	for _, a := range alerts {
		if a.Class != "iot.mirai_scan" {
			out = append(out, a)
		}
	}
	return out
}

// TestLoginReportedElsewhere: with Config.LoginReported (the inventory's
// credential rules, wired by insight), a login it covers is left to it —
// no alert, and the session-after-scan heuristic stays quiet for its
// connection — while logins it does not cover are still reported: pairs
// outside its rules. A default user whose password is not known is
// neither asked about nor reported.
func TestLoginReportedElsewhere(t *testing.T) {
	cfg := DefaultConfig()
	var asked []string
	cfg.LoginReported = func(service, user, password string, server netip.Addr, port uint16) bool {
		asked = append(asked, service+" "+user+"/"+password)
		return user == "root" && password == "xc3511"
	}
	var l []dt.Line
	for h := 1; h <= 20; h++ {
		l = append(l, dt.Rec("_syn_seq_eq_dst", map[string]any{"ts": 1000 + float64(h)/20, "src": "10.66.0.66", "dst": fmt.Sprintf("10.66.0.%d", 20+h), "dst_p": 23}))
	}
	l = append(l,
		telnetAuth(1011, "T1", 40001, "root", "xc3511", true),
		dt.Conn{TS: 1010, Duration: 2, UID: "T1", Src: "10.66.0.66", SrcP: 40001, Dst: "10.66.0.30", DstP: 23, OrigBytes: 30, RespBytes: 90}.Line(),
		dt.Rec("ftp", map[string]any{"ts": 1012.0, "uid": "F1", "id.orig_h": "10.66.0.66", "id.orig_p": 4000, "id.resp_h": "10.66.0.21", "id.resp_p": 21, "user": "admin", "command": "RETR", "reply_code": 226}),
		dt.Rec("_ftp_auth", map[string]any{"ts": 1012.5, "uid": "F2", "id.orig_h": "10.66.0.66", "id.orig_p": 4001, "id.resp_h": "10.66.0.21", "id.resp_p": 21, "user": "admin", "password": "admin1234", "success": true}),
		telnetAuth(1013, "T2", 40002, "admin", "1234", true),
	)
	got := dropScan(dt.Merged(dt.RunAsGiven(t, New(cfg), l)))
	if len(got) != 2 {
		for _, a := range got {
			t.Logf("%s", a.JSON())
		}
		t.Fatalf("got %d alerts, want the ftp admin/admin1234 and the telnet admin/1234 logins", len(got))
	}
	for _, a := range got {
		if a.UID == "T1" || a.UID == "F1" || a.Evidence["basis"] != nil {
			t.Errorf("a login left to the inventory was reported: %s", a.JSON())
		}
	}
	if fmt.Sprint(asked) != "[telnet root/xc3511 ftp admin/admin1234 telnet admin/1234]" {
		t.Errorf("asked %v (a record without a password is not asked)", asked)
	}
	// Without it (no inventory: --no-assets, Zeek logs), the detector
	// reports the same login itself.
	if a := dt.Find(t, dropScan(dt.RunAsGiven(t, New(DefaultConfig()), l[:22])), "iot.default_creds"); a.UID != "T1" {
		t.Errorf("alone: %s", a.JSON())
	}
}
