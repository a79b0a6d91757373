package conformance

import "testing"

func TestCompareConns(t *testing.T) {
	z := []ConnRow{
		{"proto": "tcp", "id.orig_h": "1.1.1.1", "id.orig_p": "1", "id.resp_h": "2.2.2.2", "id.resp_p": "80", "conn_state": "SF", "history": "ShADadFf", "duration": "1.000000", "orig_pkts": "5"},
		{"proto": "tcp", "id.orig_h": "1.1.1.1", "id.orig_p": "1", "id.resp_h": "2.2.2.2", "id.resp_p": "80", "conn_state": "S0", "history": "S", "orig_pkts": "1"},
		{"proto": "udp", "id.orig_h": "1.1.1.1", "id.orig_p": "5", "id.resp_h": "2.2.2.2", "id.resp_p": "53", "conn_state": "SF", "history": "Dd", "orig_pkts": "1"},
		{"proto": "udp", "id.orig_h": "3.3.3.3", "id.orig_p": "5", "id.resp_h": "2.2.2.2", "id.resp_p": "53", "conn_state": "S0", "history": "D", "orig_pkts": "1"},
	}
	v := []ConnRow{
		// the repeated tuple in the other order: pairing must follow agreement
		{"proto": "tcp", "id.orig_h": "1.1.1.1", "id.orig_p": "1", "id.resp_h": "2.2.2.2", "id.resp_p": "80", "conn_state": "S0", "history": "S", "orig_pkts": "1"},
		{"proto": "tcp", "id.orig_h": "1.1.1.1", "id.orig_p": "1", "id.resp_h": "2.2.2.2", "id.resp_p": "80", "conn_state": "SF", "history": "ShADadFf", "duration": "1.0004", "orig_pkts": "5"},
		// flipped
		{"proto": "udp", "id.orig_h": "2.2.2.2", "id.orig_p": "53", "id.resp_h": "1.1.1.1", "id.resp_p": "5", "conn_state": "SF", "history": "Dd", "orig_pkts": "1"},
		{"proto": "icmp", "id.orig_h": "9.9.9.9", "id.orig_p": "8", "id.resp_h": "2.2.2.2", "id.resp_p": "0"},
	}
	r := CompareConns(z, v, ConnFields)
	if r.Zeek != 4 || r.Matched != 3 || r.FullAgree != 2 || r.Missing != 1 || r.Extra != 1 {
		t.Fatalf("result %+v\n%v", r, r.Diffs)
	}
	if f := r.Fields["direction"]; f.Agree != 2 || f.Total != 3 {
		t.Errorf("direction %+v", f)
	}
	if f := r.Fields["duration"]; f.Agree != 3 || f.Total != 3 {
		t.Errorf("duration %+v", f)
	}
	if _, ok := r.Fields["resp_bytes"]; ok {
		t.Errorf("fields the baseline lacks must not be compared")
	}
	var all Result
	all.Add(r)
	all.Add(r)
	if all.Zeek != 8 || all.Fields["history"].Total != 6 || all.Agreement() != 0.5 {
		t.Errorf("add: %+v", all)
	}
}

func TestReadConnJSON(t *testing.T) {
	rows, err := ReadConnJSONBytes([]byte(`{"ts":1.5,"uid":"Cx","id.orig_p":80,"duration":0.000357,"tunnel_parents":["b","a"],"history":"S"}` + "\n"))
	if err != nil || len(rows) != 1 {
		t.Fatal(err, rows)
	}
	r := rows[0]
	if r["id.orig_p"] != "80" || r["duration"] != "0.000357" || r["tunnel_parents"] != "a,b" || r["history"] != "S" {
		t.Errorf("%v", r)
	}
}
