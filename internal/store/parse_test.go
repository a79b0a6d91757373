package store

import (
	"reflect"
	"testing"
)

// TestParserRows: records as the pipeline writes them become rows, with
// the lenient reading the store wants (numbers written as strings, lists of
// objects, nested guesses).
func TestParserRows(t *testing.T) {
	var p parser
	conn := []byte(`{"ts":1700000000.5,"uid":"C1","id.orig_h":"2001:db8::1","id.orig_p":"443","id.resp_h":"2001:db8::2","id.resp_p":80,"proto":"tcp","orig_bytes":12,"conn_state":"SF",` +
		`"service":null,"history":"Sh\u0041D","duration":"1.5","resp_bytes":-3,"orig_pkts":2.9}`)
	if !p.f.parse(conn) {
		t.Fatal("conn line not parsed")
	}
	var c Conn
	p.conn(&c)
	wantConn := Conn{TS: 1700000000.5, UID: "C1", OrigH: "2001:db8::1", OrigP: 443, RespH: "2001:db8::2", RespP: 80, Proto: "tcp", OrigBytes: 12,
		State: "SF", History: "ShAD", Duration: 1.5, RespBytes: 0, OrigPkts: 2, IPv: 6}
	if c != wantConn {
		t.Errorf("conn\n got %+v\nwant %+v", c, wantConn)
	}
	asset := []byte(`{"host":"02:00:00:00:00:01","mac":"02:00:00:00:00:01","addrs":[{"addr":"10.0.0.1"},{"addr":"fd00::1"}],` +
		`"names":[{"name":"cam\u0031"}],"class":{"value":"camera","confidence":0.7},"os":"Linux",` +
		`"services":[{"proto":"tcp","port":23,"service":"telnet"}],"findings":[{"kind":"telnet_offered","class":"iot.insecure_protocol","severity":2}],` +
		`"traffic":{"bytes_sent":100,"bytes_recv":-1}}`)
	if !p.f.parse(asset) {
		t.Fatal("asset line not parsed")
	}
	var a Asset
	p.asset(&a, asset)
	want := Asset{Key: "02:00:00:00:00:01", MAC: "02:00:00:00:00:01", Addrs: []string{"10.0.0.1", "fd00::1"}, Names: []string{"cam1"},
		Class: "camera", ClassConf: 0.7, OS: "Linux", Services: []string{"tcp/23 telnet"}, Findings: []string{"iot.insecure_protocol"}, MaxSeverity: 2,
		BytesSent: 100, BytesRecv: 0, JSON: string(asset)}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("asset\n got %+v\nwant %+v", a, want)
	}
	inc := []byte(`{"id":"I1","first_seen":10,"last_seen":20,"attackers":["10.0.0.66"],"alert_counts":{"scan.horizontal":3,"iot.default_creds":1},"alerts":[{},{}],"mitre":["T1046"]}`)
	if !p.f.parse(inc) {
		t.Fatal("incident line not parsed")
	}
	var in Incident
	p.incident(&in, inc)
	if in.ID != "I1" || in.Attacker != "10.0.0.66" || in.Alerts != 2 || !reflect.DeepEqual(in.Classes, []string{"scan.horizontal", "iot.default_creds"}) {
		t.Errorf("incident %+v", in)
	}
}
