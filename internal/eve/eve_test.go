package eve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// readAll reads an EVE file: the alerts, the records by log, the other
// events, and the reader (for its malformed count).
func readAll(t *testing.T, path string) (alerts []alert.Alert, recs map[string][]map[string]any, other []string, r *Reader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err = NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	recs = map[string][]map[string]any{}
	var e Event
	var buf []byte
	for {
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := r.Parser().Alert(&e); ok {
			alerts = append(alerts, a)
			continue
		}
		log, line, ok := r.Parser().Record(&e, buf[:0])
		buf = line
		if !ok {
			other = append(other, e.Type)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s record is not JSON: %v\n%s", log, err, line)
		}
		recs[log] = append(recs[log], m)
	}
	return alerts, recs, other, r
}

func TestFixture(t *testing.T) {
	alerts, recs, other, r := readAll(t, filepath.Join("testdata", "eve.json"))
	if r.Malformed != 5 || !strings.HasPrefix(r.FirstError, "line 16:") {
		t.Errorf("malformed %d (first %q), want 5 from line 16", r.Malformed, r.FirstError)
	}
	if len(alerts) != 8 {
		t.Fatalf("%d alerts, want 8: %+v", len(alerts), alerts)
	}
	want := []struct {
		class    string
		severity int
		src, dst string
		dstP     uint16
		proto    string
	}{
		{"scan.signature", alert.Medium, "10.0.0.66", "10.0.0.10", 22, "tcp"},
		{"c2.signature", alert.High, "10.0.0.21", "203.0.113.10", 443, "tcp"},
		{"ids.exploit", alert.High, "198.51.100.9", "10.0.0.10", 80, "tcp"},
		{"ids.alert", alert.Info, "10.0.0.30", "10.0.0.1", 0, "icmp"},
		{"ids.info_leak", alert.Medium, "fd66::22", "fd66::10", 8080, "tcp"},
		{"ids.alert", alert.Medium, "10.0.0.21", "10.0.0.2", 53, "udp"},
		{"iot.mirai_scan", alert.High, "10.0.0.66", "10.0.0.30", 23, "tcp"},
		{"scan.signature", alert.Medium, "10.0.0.66", "10.0.0.10", 22, "tcp"},
	}
	for i, x := range want {
		a := alerts[i]
		if a.Class != x.class || a.Severity != x.severity || a.Src != x.src || a.Dst != x.dst || a.DstP != x.dstP || a.Proto != x.proto {
			t.Errorf("alert %d: %s sev %d %s → %s:%d/%s; want %+v", i, a.Class, a.Severity, a.Src, a.Dst, a.DstP, a.Proto, x)
		}
		if a.Detector != "suricata" && a.Class != "iot.mirai_scan" {
			t.Errorf("alert %d detector %q", i, a.Detector)
		}
	}
	a := alerts[0]
	if a.TS != 1568812903.123456 || a.UID != "E"+strconv.FormatUint(1234567890123456, 36) || a.Evidence["signature_id"] != uint64(2010937) ||
		a.Evidence["category"] != "Detection of a Network Scan" || a.Evidence["suricata_severity"] != 2 || a.Name != "sid:1:2010937" ||
		!strings.Contains(a.Summary, "ET SCAN Suspicious inbound to mySQL port 3306") || a.Evidence["community_id"] == nil {
		t.Errorf("first alert: %+v", a)
	}
	if m := alerts[1].MITRE; len(m) != 2 || m[0] != "T1071" || m[1] != "T1071.001" {
		t.Errorf("rule metadata techniques: %v", m)
	}
	if a := alerts[3]; a.SrcP != 8 || a.DstP != 0 {
		t.Errorf("icmp alert: type %d code %d", a.SrcP, a.DstP)
	}
	if a := alerts[6]; a.Summary != "10.0.0.66 scanned 45 hosts on 23/tcp Mirai-style" || a.Confidence != 0.95 || a.Detector != "mirai" {
		t.Errorf("Vigil's own EVE alert: %+v", a)
	}
	for _, a := range alerts {
		b := a.JSON()
		if back, err := alert.Parse(b); err != nil || back.Class != a.Class {
			t.Errorf("alert JSON does not read back: %v %s", err, b)
		}
	}
	if n := len(recs["conn"]); n != 1 {
		t.Fatalf("%d conn records", n)
	}
	c := recs["conn"][0]
	if c["ts"] != 1568812903.1 || c["duration"] != 1.3 || c["orig_pkts"] != 12.0 || c["resp_ip_bytes"] != 3200.0 ||
		c["uid"] != alerts[0].UID || c["service"] != "ssh" || c["proto"] != "tcp" || c["id.resp_p"] != 22.0 {
		t.Errorf("conn record: %v", c)
	}
	if n := len(recs["dns"]); n != 2 {
		t.Fatalf("%d dns records, want 2 (answers only)", n)
	}
	if d := recs["dns"][0]; d["query"] != "x7k2.example.top" || d["rcode_name"] != "NOERROR" || d["qtype_name"] != "A" ||
		len(d["answers"].([]any)) != 1 {
		t.Errorf("dns v2 answer: %v", d)
	}
	if d := recs["dns"][1]; d["query"] != "nope.example" || d["rcode_name"] != "NXDOMAIN" || d["qtype_name"] != "AAAA" {
		t.Errorf("dns v3 response: %v", d)
	}
	if h := recs["http"]; len(h) != 1 || h[0]["host"] != "srv.lab" || h[0]["uri"] != "/index.html" || h[0]["status_code"] != 200.0 ||
		h[0]["user_agent"] != "curl/8.5.0" || h[0]["method"] != "GET" {
		t.Errorf("http: %v", h)
	}
	if s := recs["ssl"]; len(s) != 1 || s[0]["server_name"] != "c2.evil.example" || s[0]["version"] != "TLSv12" ||
		s[0]["ja3"] != "e7d705a3286e19ea42f587b344ee6865" || s[0]["ja4"] == nil || s[0]["cert_chain_fps_sha1"] != nil {
		t.Errorf("ssl: %v", s) // its fingerprint "aa:bb" is no SHA-1
	}
	if strings.Join(other, ",") != "dns,fileinfo,stats" {
		t.Errorf("other events: %v", other)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]float64{
		"2019-09-18T13:21:43.123456+0000":  1568812903.123456,
		"2019-09-18T15:21:43.123456+0200":  1568812903.123456,
		"2019-09-18T13:21:43.123456+00:00": 1568812903.123456,
		"2019-09-18T13:21:43Z":             1568812903,
		"2019-09-18T13:21:43.5":            1568812903.5,
	} {
		if got, err := ParseTime(in); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2019-09-18 13:21:43", "1568812903"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestSniff(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		body string
		eve  bool
	}{
		"eve.json":   {"\n" + `{"timestamp":"2019-09-18T13:21:43.123456+0000","event_type":"flow"}` + "\n", true},
		"conn.log":   {`{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1"}` + "\n", false},
		"zeek.log":   {"#separator \\x09\n", false},
		"empty.json": {"", false},
		"array.json": {`[{"event_type":"alert"}]`, false},
		"long.json":  {`{"timestamp":"2019-09-18T13:21:43.123456+0000","event_type":"alert","payload":"` + strings.Repeat("A", 200000) + `"}`, true},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(tc.body), 0o644)
		if got := Sniff(p); got != tc.eve {
			t.Errorf("%s: sniffed %v", name, got)
		}
	}
	if Sniff(filepath.Join(dir, "missing")) || Sniff(dir) {
		t.Error("sniffed a missing file or a directory")
	}
}

// TestLongLine: a line over MaxLine is counted as malformed and the next
// line is read.
func TestLongLine(t *testing.T) {
	body := `{"timestamp":"2019-09-18T13:21:43.123456+0000","event_type":"alert","payload":"` + strings.Repeat("A", MaxLine) + `"}` + "\n" +
		`{"timestamp":"2019-09-18T13:21:44+0000","event_type":"flow","flow":{}}` + "\n"
	r, _ := NewReader(strings.NewReader(body))
	var e Event
	if err := r.Next(&e); err != nil || e.Type != "flow" || r.Malformed != 1 || r.Line != 2 {
		t.Fatalf("after a long line: %v %q malformed %d line %d", err, e.Type, r.Malformed, r.Line)
	}
	if err := r.Next(&e); !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
}

// classtypes is Suricata's classification.config (and Emerging Threats'
// additions): classtype → category text and priority.
var classtypes = map[string]struct {
	category string
	priority int
}{
	"not-suspicious": {"Not Suspicious Traffic", 3}, "unknown": {"Unknown Traffic", 3},
	"bad-unknown": {"Potentially Bad Traffic", 2}, "attempted-recon": {"Attempted Information Leak", 2},
	"successful-recon-limited": {"Information Leak", 2}, "successful-recon-largescale": {"Large Scale Information Leak", 2},
	"attempted-dos": {"Attempted Denial of Service", 2}, "successful-dos": {"Denial of Service", 2},
	"attempted-user": {"Attempted User Privilege Gain", 1}, "unsuccessful-user": {"Unsuccessful User Privilege Gain", 1},
	"successful-user": {"Successful User Privilege Gain", 1}, "attempted-admin": {"Attempted Administrator Privilege Gain", 1},
	"successful-admin": {"Successful Administrator Privilege Gain", 1}, "rpc-portmap-decode": {"Decode of an RPC Query", 2},
	"shellcode-detect": {"Executable code was detected", 1}, "string-detect": {"A suspicious string was detected", 3},
	"suspicious-filename-detect": {"A suspicious filename was detected", 2},
	"suspicious-login":           {"An attempted login using a suspicious username was detected", 2},
	"system-call-detect":         {"A system call was detected", 2}, "tcp-connection": {"A TCP connection was detected", 4},
	"trojan-activity": {"A Network Trojan was detected", 1}, "unusual-client-port-connection": {"A client was using an unusual port", 2},
	"network-scan": {"Detection of a Network Scan", 3}, "denial-of-service": {"Detection of a Denial of Service Attack", 2},
	"non-standard-protocol":    {"Detection of a non-standard protocol or event", 2},
	"protocol-command-decode":  {"Generic Protocol Command Decode", 3},
	"web-application-activity": {"access to a potentially vulnerable web application", 2},
	"web-application-attack":   {"Web Application Attack", 1}, "misc-activity": {"Misc activity", 3},
	"misc-attack": {"Misc Attack", 2}, "icmp-event": {"Generic ICMP event", 3},
	"inappropriate-content": {"Inappropriate Content was Detected", 1},
	"policy-violation":      {"Potential Corporate Privacy Violation", 1},
	"default-login-attempt": {"Attempt to login by a default username and password", 2},
	"targeted-activity":     {"Targeted Malicious Activity was Detected", 1},
	"exploit-kit":           {"Exploit Kit Activity Detected", 1},
	"external-ip-check":     {"Device Retrieving External IP Address Detected", 2},
	"domain-c2":             {"Domain Observed Used for C2 Detected", 1},
	"pup-activity":          {"Possibly Unwanted Program Detected", 2},
	"credential-theft":      {"Successful Credential Theft Detected", 1},
	"social-engineering":    {"Possible Social Engineering Attempted", 2},
	"coin-mining":           {"Crypto Currency Mining Activity Detected", 2},
	"command-and-control":   {"Malware Command and Control Activity Detected", 1},
}

// classtypeClass is the Vigil class each classtype's alerts should get.
var classtypeClass = map[string]string{
	"network-scan": "scan.signature", "attempted-recon": "ids.info_leak", "successful-recon-limited": "ids.info_leak",
	"successful-recon-largescale": "ids.info_leak", "attempted-admin": "ids.exploit", "attempted-user": "ids.exploit",
	"unsuccessful-user": "ids.exploit", "web-application-attack": "ids.exploit", "shellcode-detect": "ids.exploit",
	"exploit-kit": "ids.exploit", "default-login-attempt": "ids.exploit", "social-engineering": "ids.exploit",
	"successful-admin": "ids.compromise", "successful-user": "ids.compromise", "credential-theft": "ids.compromise",
	"trojan-activity": "c2.signature", "command-and-control": "c2.signature", "domain-c2": "c2.signature",
	"targeted-activity": "c2.signature", "attempted-dos": "ids.dos", "successful-dos": "ids.dos",
	"denial-of-service": "ids.dos", "policy-violation": "ids.policy", "inappropriate-content": "ids.policy",
	"coin-mining": "ids.policy", "pup-activity": "ids.policy", "external-ip-check": "ids.policy",
}

var (
	ruleSID   = regexp.MustCompile(`\bsid\s*:\s*(\d+)`)
	ruleMsg   = regexp.MustCompile(`\bmsg\s*:\s*"((?:[^"\\]|\\.)*)"`)
	ruleClass = regexp.MustCompile(`\bclasstype\s*:\s*([\w-]+)`)
)

// rule is one rule of a test.rules: its message and classtype.
type rule struct{ msg, classtype string }

func readRules(path string) map[string]rule {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := map[string]rule{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		sid := ruleSID.FindStringSubmatch(l)
		if sid == nil {
			continue
		}
		var r rule
		if m := ruleMsg.FindStringSubmatch(l); m != nil {
			r.msg = m[1]
		}
		if m := ruleClass.FindStringSubmatch(l); m != nil {
			r.classtype = m[1]
		}
		out[sid[1]] = r
	}
	return out
}

// alertMatches returns the match blocks of a test.yaml's filters on
// event_type alert: the keys at the block's first level (a small line
// reader: the files are regular enough).
func alertMatches(yaml string) []map[string]string {
	lines := strings.Split(yaml, "\n")
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	var out []map[string]string
	for i, l := range lines {
		if strings.TrimSpace(l) != "match:" {
			continue
		}
		base, first := indent(l), -1
		m := map[string]string{}
		for _, l2 := range lines[i+1:] {
			t := strings.TrimSpace(l2)
			if t == "" || t[0] == '#' {
				continue
			}
			in := indent(l2)
			if in <= base {
				break
			}
			if first < 0 {
				first = in
			}
			if in != first {
				continue
			}
			k, v, ok := strings.Cut(t, ":")
			if ok && strings.TrimSpace(v) != "" {
				m[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
		if m["event_type"] == "alert" {
			out = append(out, m)
		}
	}
	return out
}

// TestSuricataVerify turns every alert that suricata-verify's tests expect
// (test.yaml filters on event_type alert, with the rule's message and
// classification from test.rules) into an EVE alert event and requires it
// to map to a Vigil alert with the same signature id, addresses and ports,
// the class its classtype calls for and a valid alerts.log line; and
// reads the corpus's one real eve.json.
func TestSuricataVerify(t *testing.T) {
	root := testcorpus.Require(t, "suricata-verify")
	tests, _ := filepath.Glob(filepath.Join(root, "tests", "*", "test.yaml"))
	nested, _ := filepath.Glob(filepath.Join(root, "tests", "*", "*", "test.yaml"))
	tests = append(tests, nested...)
	var p Parser
	n, classified := 0, 0
	byClass := map[string]int{}
	for _, ty := range tests {
		y, err := os.ReadFile(ty)
		if err != nil {
			t.Fatal(err)
		}
		rules := readRules(filepath.Join(filepath.Dir(ty), "test.rules"))
		for _, m := range alertMatches(string(y)) {
			ev := map[string]any{"timestamp": "2024-01-02T03:04:05.678901+0000", "event_type": "alert"}
			al := map[string]any{"action": "allowed", "gid": 1}
			for k, v := range m {
				if v == "null" || v == "~" {
					continue
				}
				switch k {
				case "src_ip", "dest_ip", "app_proto":
					ev[k] = v
				case "proto":
					ev[k] = v
				case "src_port", "dest_port", "flow_id", "icmp_type", "icmp_code":
					if x, err := strconv.ParseUint(v, 10, 64); err == nil {
						ev[k] = x
					}
				case "alert.signature_id", "alert.gid", "alert.rev", "alert.severity":
					if x, err := strconv.ParseUint(v, 10, 64); err == nil {
						al[strings.TrimPrefix(k, "alert.")] = x
					}
				case "alert.signature", "alert.category", "alert.action":
					al[strings.TrimPrefix(k, "alert.")] = v
				}
			}
			sid := m["alert.signature_id"]
			r, known := rules[sid]
			if known {
				if _, ok := al["signature"]; !ok {
					al["signature"] = r.msg
				}
				if c, ok := classtypes[r.classtype]; ok {
					al["category"], al["severity"] = c.category, c.priority
				}
			}
			ev["alert"] = al
			line, _ := json.Marshal(ev)
			var e Event
			if err := p.Parse(line, &e); err != nil {
				t.Errorf("%s: %v\n%s", ty, err, line)
				continue
			}
			a, ok := p.Alert(&e)
			if !ok {
				t.Errorf("%s: no alert from %s", ty, line)
				continue
			}
			n++
			byClass[a.Class]++
			if sid != "" && strconv.FormatUint(a.Evidence["signature_id"].(uint64), 10) != sid {
				t.Errorf("%s: signature id %v, want %s", ty, a.Evidence["signature_id"], sid)
			}
			if (ev["src_ip"] != nil && a.Src != e.Src.String()) || (ev["dest_port"] != nil && strconv.Itoa(int(a.DstP)) != m["dest_port"] && a.Proto != "icmp") {
				t.Errorf("%s: %s:%d → %s:%d from %s", ty, a.Src, a.SrcP, a.Dst, a.DstP, line)
			}
			if known && r.classtype != "" {
				classified++
				want := classtypeClass[r.classtype]
				if want == "" {
					want = "ids.alert"
				}
				if a.Class != want {
					t.Errorf("%s: classtype %s gave %s, want %s", ty, r.classtype, a.Class, want)
				}
			}
			if a.Severity < alert.Critical || a.Severity > alert.Info || a.Summary == "" || a.Act == "" {
				t.Errorf("%s: %+v", ty, a)
			}
			if _, err := alert.Parse(a.JSON()); err != nil {
				t.Errorf("%s: %v", ty, err)
			}
		}
	}
	t.Logf("suricata-verify: %d expected alerts mapped (%d with the rule's classtype): %v", n, classified, byClass)
	if n < 1000 || classified < 100 {
		t.Errorf("only %d alerts (%d classified) found in the corpus", n, classified)
	}
	alerts, recs, other, r := readAll(t, filepath.Join(root, "tests", "output-eve-fileinfo", "expected", "eve.json"))
	if len(alerts) != 0 || len(recs) != 0 || len(other) != 1 || other[0] != "fileinfo" || r.Malformed != 0 {
		t.Errorf("output-eve-fileinfo: %d alerts, %v records, other %v, %d malformed", len(alerts), recs, other, r.Malformed)
	}
}

// TestVigilRoundTrip: Vigil's own fields survive its EVE export read back,
// the exposed host included (incidents key exposure alerts by it).
func TestVigilRoundTrip(t *testing.T) {
	in := alert.Alert{TS: 1700000000.25, Src: "10.0.0.21", Dst: "10.0.0.30", SrcP: 40000, DstP: 1883, Proto: "tcp",
		Class: "iot.insecure_protocol", Confidence: 0.9, Summary: "10.0.0.30 runs an MQTT broker without TLS",
		UIDs: []string{"C1"}, Exposed: "10.0.0.30", Detector: "assets"}
	in.Fill()
	var p Parser
	var e Event
	if err := p.Parse(in.EVE(), &e); err != nil {
		t.Fatal(err)
	}
	out, ok := p.Alert(&e)
	if !ok || out.Class != in.Class || out.Exposed != in.Exposed || out.Detector != in.Detector || out.Src != in.Src ||
		out.Summary != in.Summary || len(out.UIDs) != 1 {
		t.Errorf("read back %+v\nfrom %+v", out, in)
	}
}

// flowEvent is a Suricata flow event: flags to server and to client as
// Suricata writes them (hex; "" leaves the field out).
func flowEvent(src, dst string, dport int, pktsTS, bytesTS, pktsTC, bytesTC int, flagsTS, flagsTC string) string {
	tcp := ""
	if flagsTS != "" || flagsTC != "" {
		tcp = fmt.Sprintf(`,"tcp":{"tcp_flags_ts":%q,"tcp_flags_tc":%q}`, flagsTS, flagsTC)
	}
	return fmt.Sprintf(`{"timestamp":"2024-01-02T03:04:05.000000+0000","flow_id":7,"event_type":"flow","src_ip":%q,"src_port":40000,"dest_ip":%q,"dest_port":%d,"proto":"TCP",`+
		`"flow":{"pkts_toserver":%d,"pkts_toclient":%d,"bytes_toserver":%d,"bytes_toclient":%d,"start":"2024-01-02T03:04:05.000000+0000","end":"2024-01-02T03:04:06.000000+0000","state":"closed"}%s}`,
		src, dst, dport, pktsTS, pktsTC, bytesTS, bytesTC, tcp)
}

// TestFlowConnState: a flow event's conn record has the payload bytes,
// history and conn_state Zeek would give the flow, from its packet and
// byte counts and the flags each side sent, so that the detectors read a
// Suricata deployment's flows as they read Vigil's: a completed
// exchange is no probe and no SYN flood.
func TestFlowConnState(t *testing.T) {
	for _, c := range []struct {
		name, line         string
		state, history     string
		origData, respData float64
	}{
		{"completed TLS exchange", flowEvent("10.1.0.5", "192.168.1.10", 443, 12, 1800, 14, 24000, "1b", "1b"), "SF", "ShADadFf", 1800 - 12*66, 24000 - 14*66},
		{"SYN with options, unanswered", flowEvent("10.1.0.5", "192.168.1.10", 443, 1, 74, 0, 0, "02", ""), "S0", "S", 0, 0},
		{"refused", flowEvent("10.1.0.5", "192.168.1.10", 23, 1, 60, 1, 54, "02", "14"), "REJ", "Sr", 0, 0},
		{"picked up mid-stream", flowEvent("10.1.0.5", "192.168.1.10", 443, 5, 5000, 5, 400, "18", "10"), "OTH", "ADad", 5000 - 5*66, 400 - 5*66},
		{"reset by the client", flowEvent("10.1.0.5", "192.168.1.10", 80, 4, 900, 3, 600, "16", "12"), "RSTO", "ShADadR", 900 - 4*66, 600 - 3*66},
		{"no flags, data both ways", flowEvent("10.1.0.5", "192.168.1.10", 443, 12, 1800, 14, 24000, "", ""), "OTH", "ADad", 1800 - 12*66, 24000 - 14*66},
		// Both sides' flags together are not used (a spoofed SYN's
		// sender would get the answer's ACK): the byte counts speak.
		{"both sides' flags only", strings.Replace(flowEvent("fd00::5", "fd00::10", 443, 10, 2000, 10, 9000, "", ""), `"flow":{`, `"tcp":{"tcp_flags":"1b"},"flow":{`, 1), "OTH", "ADad", 2000 - 10*86, 9000 - 10*86},
		// Suricata kept no session (the SYN was missed): flags 00.
		{"no session, picked up mid-stream", flowEvent("10.1.0.5", "192.168.1.10", 443, 400, 26400, 800, 1_180_000, "00", "00"), "OTH", "Aad", 0, 1_180_000 - 800*66},
		// nmap -sS to an open port: SYN, SYN-ACK with options (74 bytes),
		// the client's RST; no payload either way.
		{"half-open scan of an open port", flowEvent("10.1.0.66", "192.168.1.10", 22, 2, 114, 1, 74, "06", "12"), "RSTO", "ShR", 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Parser
			var e Event
			if err := p.Parse([]byte(c.line), &e); err != nil {
				t.Fatal(err)
			}
			log, line, ok := p.Record(&e, nil)
			if !ok || log != "conn" {
				t.Fatalf("record %q %s", log, line)
			}
			var r map[string]any
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			if r["conn_state"] != c.state || r["history"] != c.history || r["orig_bytes"] != c.origData || r["resp_bytes"] != c.respData {
				t.Errorf("conn_state %v history %v orig_bytes %v resp_bytes %v; want %s %s %v %v",
					r["conn_state"], r["history"], r["orig_bytes"], r["resp_bytes"], c.state, c.history, c.origData, c.respData)
			}
		})
	}
}

func TestCertSHA1(t *testing.T) {
	for in, want := range map[string]string{
		"E2:FB:07:71:EE:6F:C0:D0:E3:24:BC:86:3C:02:B5:79:21:25:7C:86": "e2fb0771ee6fc0d0e324bc863c02b57921257c86",
		"aa:bb": "", "": "", "zz:fb:07:71:ee:6f:c0:d0:e3:24:bc:86:3c:02:b5:79:21:25:7c:86": ""} {
		if got, ok := certSHA1(in); got != want || ok != (want != "") {
			t.Errorf("certSHA1(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// TestCertRecord: a tls event with the server certificate's fingerprint
// gives, after its ssl record, the certificate's x509 record (SHA-1,
// subject, issuer, serial, dates: Suricata writes them without a zone,
// in UTC); one without a fingerprint (TLS 1.3, resumed) gives none.
func TestCertRecord(t *testing.T) {
	withCert := `{"timestamp":"2024-04-03T13:17:03.656853+0000","event_type":"tls","src_ip":"10.0.0.1","src_port":1,` +
		`"dest_ip":"203.0.113.30","dest_port":443,"proto":"TCP","tls":{"subject":"CN=a","issuerdn":"CN=ca","serial":"01:02",` +
		`"fingerprint":"3c:07:66:98:6a:49:48:4d:91:db:e4:df:31:00:11:22:33:44:55:66","notbefore":"2020-01-01T00:00:00","notafter":"2021-01-01T00:00:00"}}`
	without := `{"timestamp":"2024-04-03T13:17:04.000000+0000","event_type":"tls","src_ip":"10.0.0.1","src_port":2,` +
		`"dest_ip":"203.0.113.30","dest_port":443,"proto":"TCP","tls":{"sni":"b","version":"TLS 1.3"}}`
	r, _ := NewReader(strings.NewReader(withCert + "\n" + without + "\n"))
	var logs []string
	var cert map[string]any
	_, err := Feed(context.Background(), r, func(log string, line []byte) {
		logs = append(logs, log)
		if log == "x509" {
			if err := json.Unmarshal(line, &cert); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(logs, ",") != "ssl,x509,ssl" {
		t.Fatalf("records %v, want ssl,x509,ssl", logs)
	}
	want := map[string]any{"fingerprint_sha1": "3c0766986a49484d91dbe4df3100112233445566", "certificate.subject": "CN=a",
		"certificate.issuer": "CN=ca", "certificate.serial": "01:02", "certificate.not_valid_before": 1577836800.0,
		"certificate.not_valid_after": 1609459200.0, "host_cert": true}
	for k, v := range want {
		if cert[k] != v {
			t.Errorf("%s = %v, want %v (%v)", k, cert[k], v, cert)
		}
	}
}
