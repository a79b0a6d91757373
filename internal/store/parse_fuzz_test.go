package store

import (
	"math"
	"slices"
	"testing"
)

// FuzzParser: any line, however broken, becomes rows without a panic,
// and the rows keep what the store's queries rely on: counts are never
// negative, an alert's severity is 1–4 and leads with its uid, an
// incident has an ID and does not end before it starts, an asset's lists
// hold no value twice.
func FuzzParser(f *testing.F) {
	for _, seed := range []string{
		`{"ts":1700000000.5,"uid":"C1","id.orig_h":"2001:db8::1","id.orig_p":"443","id.resp_h":"2001:db8::2","id.resp_p":80,"proto":"tcp","orig_bytes":12,"conn_state":"SF","service":null,"history":"Sh\u0041D","duration":"1.5","resp_bytes":-3,"orig_pkts":2.9}`,
		`{"ts":1,"uid":"C2","id.orig_h":"10.0.0.1","orig_bytes":"18446744073709551615","resp_bytes":1e300,"orig_pkts":"-1e9","resp_pkts":"NaN","orig_ip_bytes":"+Inf"}`,
		`{"ts":2,"uid":"C3","src":"10.0.0.66","dst":"10.0.0.1","uids":["C4","C3"],"class":"scan.horizontal","severity":9,"confidence":"0.5","mitre":"T1046"}`,
		`{"ts":3,"query":"example.com","answers":["1.2.3.4",{"a":1},["x"]],"qtype_name":"A","rcode_name":"NOERROR"}`,
		`{"ts":4,"method":"GET","host":"h","uri":"/","status_code":"200","id.resp_p":70000,"user_agent":"curl"}`,
		`{"ts":5,"version":"TLSv13","server_name":"s","established":"true","ja3":"abc"}`,
		`{"id":"I1","first_seen":10,"last_seen":20,"attackers":["10.0.0.66"],"alert_counts":{"scan.horizontal":3,"iot.default_creds":1},"alerts":[{},{}],"mitre":["T1046"]}`,
		`{"first":30,"last":5,"attacker":"a","classes":"x","severity":-2147483649,"score":1e20,"alerts":"many"}`,
		`{"host":"02:00:00:00:00:01","mac":"02:00:00:00:00:01","addrs":[{"addr":"10.0.0.1"},{"addr":"10.0.0.1"},"fd00::1","fd00::1"],"names":[{"name":"cam"},{"name":"cam"}],"class":{"value":"camera","confidence":"0.7"},"os":"Linux","device":{},"services":[{"proto":"tcp","port":23,"service":"telnet"},7,{}],"findings":[{"class":"c","severity":3},{"kind":"c","severity":1},"x"],"traffic":{"bytes_sent":-100,"bytes_recv":"1e400"}}`,
		`{"addresses":[{"addr":"x"}],"traffic":[1],"class":"camera","findings":{}}`,
		`{"ts":1,"uid":"\ud800","id.orig_h":"\"quoted\"","history":"` + "\\u0000" + `"}`,
		`[1,2,3]`, `{`, `{"ts":}`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var p parser
		if !p.f.parse(line) {
			return
		}
		var c Conn
		p.conn(&c)
		for name, n := range map[string]int64{"orig_bytes": c.OrigBytes, "resp_bytes": c.RespBytes, "orig_pkts": c.OrigPkts,
			"resp_pkts": c.RespPkts, "orig_ip_bytes": c.OrigIPBytes, "resp_ip_bytes": c.RespIPBytes} {
			if n < 0 {
				t.Errorf("conn %s %d < 0", name, n)
			}
		}
		if (c.IPv == 0) != (c.OrigH == "") || c.IPv != 0 && c.IPv != 4 && c.IPv != 6 {
			t.Errorf("conn IPv %d for orig_h %q", c.IPv, c.OrigH)
		}

		var a Alert
		p.alert(&a, line)
		if a.Severity < 1 || a.Severity > 4 {
			t.Errorf("alert severity %d", a.Severity)
		}
		if uid := p.f.str("uid"); uid != "" && (len(a.UIDs) == 0 || !slices.Contains(a.UIDs, uid)) {
			t.Errorf("alert uids %q lack uid %q", a.UIDs, uid)
		}

		var in Incident
		p.incident(&in, line)
		if in.ID == "" {
			t.Error("incident without an ID")
		}
		if in.Last < in.First && !math.IsNaN(in.First) {
			t.Errorf("incident ends at %v before it starts at %v", in.Last, in.First)
		}

		var as Asset
		p.asset(&as, line)
		for name, list := range map[string][]string{"addrs": as.Addrs, "names": as.Names, "findings": as.Findings} {
			if len(slices.Compact(slices.Sorted(slices.Values(list)))) != len(list) {
				t.Errorf("asset %s hold a value twice: %q", name, list)
			}
		}
		if as.BytesSent < 0 || as.BytesRecv < 0 || as.MaxSeverity < 0 {
			t.Errorf("asset traffic %d/%d, severity %d", as.BytesSent, as.BytesRecv, as.MaxSeverity)
		}

		var d DNS
		p.dns(&d)
		var h HTTP
		p.http(&h)
		var s SSL
		p.ssl(&s)
	})
}
