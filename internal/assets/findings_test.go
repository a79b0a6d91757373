package assets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	detectalert "github.com/vigil-nsm/vigil/internal/detect/alert"
)

// scenario feeds one record of every kind of finding.
func scenario(inv *Inventory) {
	feed(inv, "mqtt_subscribe", // before its CONNECT: judged when the CONNECT comes
		`{"ts":2,"uid":"Cm1","id.orig_h":"10.0.0.5","id.orig_p":40000,"id.resp_h":"10.0.0.2","id.resp_p":1883,"action":"MQTT::SUBSCRIBE","topics":["#"],"qos_levels":[0],"granted_qos_level":0,"ack":true}`)
	feed(inv, "mqtt_connect",
		`{"ts":1,"uid":"Cm1","id.orig_h":"10.0.0.5","id.orig_p":40000,"id.resp_h":"10.0.0.2","id.resp_p":1883,"proto_name":"MQTT","proto_version":"3.1.1","client_id":"shellyplug-s-ABC123","connect_status":"Connection Accepted","username_present":false,"password_present":false}`,
		`{"ts":3,"uid":"Cm2","id.orig_h":"10.0.0.6","id.orig_p":40001,"id.resp_h":"10.0.0.2","id.resp_p":1883,"proto_name":"MQTT","proto_version":"3.1.1","client_id":"hass","connect_status":"Connection Accepted","username_present":true,"password_present":true}`)
	feed(inv, "mqtt_subscribe",
		// An authenticated client's wildcard: no finding.
		`{"ts":4,"uid":"Cm2","id.orig_h":"10.0.0.6","id.orig_p":40001,"id.resp_h":"10.0.0.2","id.resp_p":1883,"action":"MQTT::SUBSCRIBE","topics":["shellies/+/relay/0"],"granted_qos_level":0,"ack":true}`,
		// Its CONNECT was never seen: judged at Close.
		`{"ts":5,"uid":"Cm3","id.orig_h":"10.0.0.7","id.orig_p":40002,"id.resp_h":"10.0.0.2","id.resp_p":1883,"action":"MQTT::SUBSCRIBE","topics":["home/+/temp"],"granted_qos_level":1,"ack":true}`)
	feed(inv, "conn",
		`{"ts":6,"uid":"Ct1","id.orig_h":"10.0.0.5","id.orig_p":40003,"id.resp_h":"10.0.0.3","id.resp_p":23,"proto":"tcp","conn_state":"SF","history":"ShADadFf","orig_bytes":30,"resp_bytes":120,"orig_pkts":6,"resp_pkts":5}`,
		// A telnet port that refused (RST, no SYN-ACK): nothing offered.
		`{"ts":6,"uid":"Ct2","id.orig_h":"10.0.0.5","id.orig_p":40004,"id.resp_h":"10.0.0.4","id.resp_p":23,"proto":"tcp","conn_state":"REJ","history":"Sr","orig_pkts":1,"resp_pkts":1}`,
		`{"ts":7,"uid":"Cp1","id.orig_h":"10.0.0.5","id.orig_p":40005,"id.resp_h":"10.0.0.25","id.resp_p":110,"proto":"tcp","service":"pop3","conn_state":"SF","history":"ShADadFf","orig_bytes":30,"resp_bytes":120,"orig_pkts":6,"resp_pkts":5}`)
	feed(inv, "coap",
		`{"ts":8,"uid":"Cc1","id.orig_h":"10.0.0.5","id.orig_p":50000,"id.resp_h":"10.0.0.8","id.resp_p":5683,"type":"CON","code":"GET","message_id":1,"token":"ab","uri_path":"/.well-known/core","response_type":"ACK","response_code":"2.05 Content","rtt":0.01}`)
	feed(inv, "ssdp",
		`{"ts":9,"uid":"Cu1","id.orig_h":"10.0.0.9","id.orig_p":1900,"id.resp_h":"239.255.255.250","id.resp_p":1900,"method":"NOTIFY","nt":"urn:schemas-upnp-org:device:ZonePlayer:1","nts":"ssdp:alive","usn":"uuid:RINCON_000E58000001::urn:schemas-upnp-org:device:ZonePlayer:1","location":"http://10.0.0.9:1400/xml/device_description.xml","server":"Linux UPnP/1.0 Sonos/70.3-35220 (ZPS9)"}`)
	feed(inv, "ftp",
		`{"ts":10,"uid":"Cf1","id.orig_h":"10.0.0.5","id.orig_p":40006,"id.resp_h":"10.0.0.10","id.resp_p":21,"user":"root","password":"xc3511","command":"STOR","arg":"/tmp/x","reply_code":226,"reply_msg":"Transfer complete."}`,
		`{"ts":11,"uid":"Cf2","id.orig_h":"10.0.0.5","id.orig_p":40007,"id.resp_h":"10.0.0.11","id.resp_p":21,"user":"anonymous","password":"me@example.com","command":"RETR","arg":"/pub/x","reply_code":226,"reply_msg":"Transfer complete."}`)
	feed(inv, "http",
		`{"ts":12,"uid":"Ch1","id.orig_h":"10.0.0.5","id.orig_p":40008,"id.resp_h":"10.0.0.12","id.resp_p":80,"method":"GET","host":"10.0.0.12","uri":"/","status_code":401,"username":"admin","password":"admin"}`)
	feed(inv, "snmp",
		`{"ts":13,"uid":"Cn1","id.orig_h":"10.0.0.5","id.orig_p":40009,"id.resp_h":"10.0.0.13","id.resp_p":161,"duration":0.01,"version":"2c","community":"public","get_requests":1,"get_bulk_requests":0,"get_responses":1,"set_requests":0,"display_string":"HP ETHERNET MULTI-ENVIRONMENT"}`)
	feed(inv, "ssl",
		`{"ts":14,"uid":"Cs1","id.orig_h":"10.0.0.5","id.orig_p":40010,"id.resp_h":"10.0.0.14","id.resp_p":443,"version":"SSLv3","established":true}`)
	feed(inv, "modbus",
		`{"ts":15,"uid":"Cb1","id.orig_h":"10.0.0.50","id.orig_p":40011,"id.resp_h":"10.0.0.60","id.resp_p":502,"tid":1,"unit":1,"func":"READ_HOLDING_REGISTERS","pdu_type":"REQ","address":0,"quantity":10}`,
		`{"ts":16,"uid":"Cb1","id.orig_h":"10.0.0.50","id.orig_p":40011,"id.resp_h":"10.0.0.60","id.resp_p":502,"tid":2,"unit":1,"func":"WRITE_SINGLE_REGISTER","pdu_type":"REQ","address":4,"quantity":1}`,
		`{"ts":17,"uid":"Cb2","id.orig_h":"10.0.0.66","id.orig_p":40012,"id.resp_h":"10.0.0.60","id.resp_p":502,"tid":1,"unit":1,"func":"WRITE_SINGLE_COIL","pdu_type":"REQ","address":1,"quantity":1}`,
		`{"ts":18,"uid":"Cb2","id.orig_h":"10.0.0.60","id.orig_p":502,"id.resp_h":"10.0.0.66","id.resp_p":40012,"tid":1,"unit":1,"func":"WRITE_SINGLE_COIL","pdu_type":"RESP"}`)
	feed(inv, "dnp3",
		`{"ts":19,"uid":"Cd1","id.orig_h":"10.0.0.51","id.orig_p":40013,"id.resp_h":"10.0.0.61","id.resp_p":20000,"fc_request":"READ","fc_reply":"RESPONSE","iin":0}`,
		`{"ts":20,"uid":"Cd2","id.orig_h":"10.0.0.67","id.orig_p":40014,"id.resp_h":"10.0.0.61","id.resp_p":20000,"fc_request":"DIRECT_OPERATE","fc_reply":"RESPONSE","iin":0}`)
	feed(inv, "bacnet",
		`{"ts":21,"uid":"Ca1","id.orig_h":"10.0.0.52","id.orig_p":47808,"id.resp_h":"10.0.0.62","id.resp_p":47808,"is_orig":true,"source_h":"10.0.0.52","source_p":47808,"destination_h":"10.0.0.62","destination_p":47808,"bvlc_function":"Original_Unicast_NPDU","pdu_type":"CONFIRMED_REQUEST","pdu_service":"read_property","invoke_id":1}`,
		`{"ts":22,"uid":"Ca2","id.orig_h":"10.0.0.68","id.orig_p":47808,"id.resp_h":"10.0.0.62","id.resp_p":47808,"is_orig":true,"source_h":"10.0.0.68","source_p":47808,"destination_h":"10.0.0.62","destination_p":47808,"bvlc_function":"Original_Unicast_NPDU","pdu_type":"CONFIRMED_REQUEST","pdu_service":"write_property","invoke_id":2}`)
}

func TestFindings(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	if err := inv.Close(); err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind, host, value, class string
		severity                 int
	}
	for _, w := range []want{
		{"mqtt_anonymous", "10.0.0.2", "anonymous accepted", "iot.insecure_protocol", 2},
		{"mqtt_cleartext", "10.0.0.2", "mqtt", "iot.insecure_protocol", 3},
		{"mqtt_wildcard_subscription", "10.0.0.2", "#", "iot.insecure_protocol", 2},
		{"mqtt_wildcard_subscription", "10.0.0.2", "home/+/temp", "iot.insecure_protocol", 2},
		{"telnet_offered", "10.0.0.3", "tcp/23", "iot.insecure_protocol", 2},
		{"cleartext_mail", "10.0.0.25", "pop3", "iot.insecure_protocol", 3},
		{"coap_exposed", "10.0.0.8", "coap", "iot.insecure_protocol", 3},
		{"upnp_exposed", "10.0.0.9", "ssdp", "iot.insecure_protocol", 3},
		{"default_creds", "10.0.0.10", "root/xc3511", "iot.default_creds", 1},
		{"cleartext_login", "10.0.0.10", "user root", "iot.insecure_protocol", 2},
		{"default_creds_tried", "10.0.0.12", "admin/admin", "iot.default_creds", 2},
		{"default_creds", "10.0.0.13", "community public", "iot.default_creds", 1},
		{"tls_deprecated", "10.0.0.14", "SSLv3", "iot.insecure_protocol", 3},
		{"ics_write_new_writer", "10.0.0.60", "WRITE_SINGLE_COIL", "iot.insecure_protocol", 2},
		{"ics_write_new_writer", "10.0.0.61", "DIRECT_OPERATE", "iot.insecure_protocol", 2},
		{"ics_write_new_writer", "10.0.0.62", "write_property", "iot.insecure_protocol", 2},
	} {
		found := false
		for _, f := range findingsOf(inv, w.kind) {
			if f.Host == w.host && f.Value == w.value {
				found = true
				if f.Class != w.class || f.Severity != w.severity || f.Summary == "" || strings.Contains(f.Summary, "{") {
					t.Errorf("%s on %s: %+v", w.kind, w.host, f)
				}
			}
		}
		if !found {
			t.Errorf("no %s finding on %s (%s); have %s", w.kind, w.host, w.value, kinds(inv))
		}
	}
	// Nothing raised where nothing is wrong.
	for _, f := range inv.Findings() {
		switch {
		case f.Host == "10.0.0.4": // refused telnet
		case f.Kind == "mqtt_wildcard_subscription" && f.Value == "shellies/+/relay/0": // authenticated
		case f.Host == "10.0.0.11": // anonymous FTP
		default:
			continue
		}
		t.Errorf("unexpected finding %+v", f)
	}
	// The usual master's own write is no finding.
	for _, f := range findingsOf(inv, "ics_write_new_writer") {
		if strings.Contains(f.Summary, "10.0.0.50") || strings.Contains(f.Summary, "10.0.0.51") {
			t.Errorf("master's write raised %+v", f)
		}
	}
}

func kinds(inv *Inventory) string {
	var out []string
	for _, f := range inv.Findings() {
		out = append(out, f.Kind+"@"+f.Host+"="+f.Value)
	}
	return strings.Join(out, " ")
}

// TestFindingsNameTheirRecords: no finding without evidence, and every
// piece of evidence names its record (log, uid when the log has one)
// and the field value it rests on.
func TestFindingsNameTheirRecords(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	inv.Close()
	fs := inv.Findings()
	if len(fs) < 15 {
		t.Fatalf("%d findings", len(fs))
	}
	for _, f := range fs {
		checkFindingEvidence(t, f)
	}
}

// checkFindingEvidence fails unless f names the records behind it.
func checkFindingEvidence(t *testing.T, f Finding) {
	t.Helper()
	if len(f.Evidence) == 0 || f.Count == 0 {
		t.Errorf("%s on %s: no evidence", f.Kind, f.Host)
		return
	}
	for _, e := range f.Evidence {
		if e.Log == "" || e.TS == 0 || e.Field == "" || e.Value == "" {
			t.Errorf("%s on %s: evidence does not name its record: %+v", f.Kind, f.Host, e)
		}
		if !strings.HasPrefix(e.Log, "_") && e.UID == "" {
			t.Errorf("%s on %s: evidence from %s without a uid: %+v", f.Kind, f.Host, e.Log, e)
		}
	}
}

func TestICSLearningAndMasters(t *testing.T) {
	write := func(ts int, from string) string {
		return `{"ts":` + itoa(ts) + `,"uid":"C` + from + `","id.orig_h":"` + from + `","id.orig_p":40000,"id.resp_h":"10.0.0.60","id.resp_p":502,"func":"WRITE_SINGLE_REGISTER","pdu_type":"REQ"}`
	}
	// A second writer within the learning window is a master too.
	inv := newInv(t, func(c *Config) { c.ICSLearn = time.Minute })
	feed(inv, "modbus", write(0, "10.0.0.50"), write(30, "10.0.0.51"), write(120, "10.0.0.52"))
	if got := findingsOf(inv, "ics_write_new_writer"); len(got) != 1 || !strings.Contains(got[0].Summary, "10.0.0.52") {
		t.Errorf("with learning: %+v", got)
	} else if len(got[0].Evidence) != 2 || got[0].Evidence[1].Detail.Get("role") == "" {
		t.Errorf("the master's first request is not evidence: %+v", got[0].Evidence)
	}
	// Configured masters never raise.
	inv = newInv(t, func(c *Config) { c.ICSMasters = []string{"10.0.0.52", "10.0.1.0/24"} })
	feed(inv, "modbus", write(0, "10.0.0.50"), write(10, "10.0.0.52"), write(20, "10.0.1.7"))
	if got := findingsOf(inv, "ics_write_new_writer"); len(got) != 0 {
		t.Errorf("configured masters: %+v", got)
	}
}

func TestDefaultCredsAcceptedSupersedesTried(t *testing.T) {
	inv := newInv(t, nil)
	snmp := func(ts, responses int) string {
		return `{"ts":` + itoa(ts) + `,"uid":"Cn` + itoa(ts) + `","id.orig_h":"10.0.0.5","id.orig_p":4000,"id.resp_h":"10.0.0.13","id.resp_p":161,"version":"1","community":"public","get_responses":` + itoa(responses) + `}`
	}
	feed(inv, "snmp", snmp(1, 0), snmp(2, 1), snmp(3, 0))
	if got := findingsOf(inv, "default_creds_tried"); len(got) != 0 {
		t.Errorf("tried kept beside accepted: %+v", got)
	}
	if got := findingsOf(inv, "default_creds"); len(got) != 1 || got[0].Count != 1 {
		t.Errorf("accepted %+v", got)
	}
}

func TestAlert(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	inv.Close()
	f := findingsOf(inv, "telnet_offered")[0]
	var a map[string]any
	if err := json.Unmarshal(f.Alert(), &a); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ts", "uid", "uids", "src", "dst", "dst_p", "class", "severity", "confidence", "mitre", "summary", "evidence", "detector"} {
		if _, ok := a[k]; !ok {
			t.Errorf("alert lacks %s: %s", k, f.Alert())
		}
	}
	if a["detector"] != "assets" || a["class"] != "iot.insecure_protocol" || a["dst"] != "10.0.0.3" || a["uid"] != "Ct1" || a["exposed"] != "10.0.0.3" {
		t.Errorf("alert %s", f.Alert())
	}
	ev := a["evidence"].(map[string]any)
	recs := ev["records"].([]any)
	if ev["kind"] != "telnet_offered" || len(recs) != 1 || recs[0].(map[string]any)["log"] != "conn" {
		t.Errorf("alert evidence %v", ev)
	}
}

// sinkLog records what a FindingSink hears, one line a call.
type sinkLog struct{ calls []string }

func (s *sinkLog) Raised(f *Finding) { s.calls = append(s.calls, "raised "+f.Key()) }
func (s *sinkLog) Recurred(f *Finding, at Occurrence) {
	if at.TS < f.TS || at.TS > f.Last {
		s.calls = append(s.calls, fmt.Sprintf("recurred %s outside its span: %v", f.Key(), at.TS))
	}
	s.calls = append(s.calls, "recurred "+f.Key())
}
func (s *sinkLog) Dropped(f *Finding) { s.calls = append(s.calls, "dropped "+f.Key()) }

// TestFindingSink: every finding kept was raised once, before any
// recurrence; a finding that gave way was dropped; nothing else is heard.
func TestFindingSink(t *testing.T) {
	sink := &sinkLog{}
	inv := newInv(t, func(c *Config) { c.Sink = sink })
	scenario(inv)
	inv.Close()
	raised, dropped := map[string]int{}, map[string]bool{}
	for _, c := range sink.calls {
		verb, key, _ := strings.Cut(c, " ")
		switch verb {
		case "raised":
			raised[key]++
		case "recurred":
			if raised[key] != 1 {
				t.Errorf("%s before it was raised", c)
			}
		case "dropped":
			dropped[key] = true
		default:
			t.Errorf("unexpected call %q", c)
		}
	}
	kept := map[string]bool{}
	for _, f := range inv.Findings() {
		kept[f.Key()] = true
		if raised[f.Key()] != 1 {
			t.Errorf("%s raised %d times", f.Key(), raised[f.Key()])
		}
	}
	for key := range raised {
		if !kept[key] && !dropped[key] {
			t.Errorf("%s raised, neither kept nor dropped", key)
		}
	}
	if len(sink.calls) <= len(raised) {
		t.Errorf("the scenario should make findings recur: %v", sink.calls)
	}
}

func TestFindingsInHosts(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	inv.Close()
	h := host(t, inv.Hosts(), "10.0.0.2")
	if len(h.Findings) < 3 || h.Findings[0].Severity != 2 {
		t.Errorf("broker findings %+v", h.Findings)
	}
	if !hasRole(h, "mqtt broker") {
		t.Errorf("broker roles %+v", h.Roles)
	}
	if c := host(t, inv.Hosts(), "10.0.0.5"); guessValue(c.Class) != "smart-plug" || guessValue(c.Device) != "Shelly relay" {
		t.Errorf("shelly client class %+v device %+v", c.Class, c.Device)
	}
	if s := host(t, inv.Hosts(), "10.0.0.9"); guessValue(s.Class) != "speaker" || hasService(s, "tcp", 1400) == nil {
		t.Errorf("sonos %+v", s)
	}
	if p := host(t, inv.Hosts(), "10.0.0.13"); guessValue(p.Class) != "printer" {
		t.Errorf("snmp printer %+v", p.Class)
	}
}

// TestAlertDecodesAsDetectAlert: the line is what alerts.log holds, so
// the detection engine's alert type reads it whole.
func TestAlertDecodesAsDetectAlert(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	inv.Close()
	for _, f := range inv.Findings() {
		var a detectalert.Alert
		dec := json.NewDecoder(bytes.NewReader(f.Alert()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("%s: %v", f.Kind, err)
		}
		if a.Class != f.Class || a.Detector != "assets" || a.Evidence["kind"] != f.Kind || a.Summary != f.Summary {
			t.Errorf("%s: %+v", f.Kind, a)
		}
		if want := map[bool]string{true: f.Host}[!actKinds[f.Kind]]; a.Exposed != want {
			t.Errorf("%s: exposed %q, want %q", f.Kind, a.Exposed, want)
		}
	}
}

// actKinds are the finding kinds that tell what a client did (its alert
// keeps the client as the acting host); every other built-in kind
// describes a host's exposure.
var actKinds = map[string]bool{"default_creds": true, "default_creds_tried": true, "cleartext_login": true,
	"mqtt_wildcard_subscription": true, "ics_write_new_writer": true, "ics_control_command": true}

// TestExposureKinds: the built-in rules mark every kind but the acts as
// an exposure.
func TestExposureKinds(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	for kind, fr := range r.findings {
		if fr.Exposure == actKinds[kind] {
			t.Errorf("%s: exposure %v", kind, fr.Exposure)
		}
	}
}

// TestReportsLogin: ReportsLogin says yes exactly for the accepted logins
// that become a default_creds finding.
func TestReportsLogin(t *testing.T) {
	for i, tc := range []struct {
		log, protocol, user, password, line string
	}{
		{"_telnet_auth", "telnet", "root", "xc3511", `"user":"root","password":"xc3511","success":true`},
		{"_telnet_auth", "telnet", "ROOT", "xc3511", `"user":"ROOT","password":"xc3511","success":true`},
		{"_telnet_auth", "telnet", "root", "XC3511", `"user":"root","password":"XC3511","success":true`},
		{"_telnet_auth", "telnet", "root", "", `"user":"root","password":"","success":true`},
		{"_telnet_auth", "telnet", "root", "S3cret!", `"user":"root","password":"S3cret!","success":true`},
		{"_telnet_auth", "telnet", "alice", "admin", `"user":"alice","password":"admin","success":true`},
		{"http", "http", "admin", "admin", `"username":"admin","password":"admin","status_code":200`},
		{"ftp", "ftp", "admin", "admin", `"user":"admin","password":"admin","command":"RETR","reply_code":226`},
		{"ftp", "ftp", "admin", "<hidden>", `"user":"admin","password":"<hidden>","command":"RETR","reply_code":226`},
		{"mqtt_connect", "mqtt", "admin", "admin", `"username":"admin","password":"admin","connect_status":"Connection Accepted"`},
	} {
		inv := newInv(t, nil)
		host := fmt.Sprintf("10.0.0.%d", 30+i)
		feed(inv, tc.log, fmt.Sprintf(`{"ts":1,"uid":"L%d","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"%s","id.resp_p":23,%s}`, i, host, tc.line))
		inv.Close()
		found := false
		for _, f := range findingsOf(inv, "default_creds") {
			found = found || f.Host == host
		}
		if got := inv.ReportsLogin(tc.protocol, tc.user, tc.password, netip.MustParseAddr(host), 23); got != found {
			t.Errorf("%s %s/%s: ReportsLogin %v, default_creds finding %v", tc.protocol, tc.user, tc.password, got, found)
		}
		// Another server, or port, has no such finding.
		if inv.ReportsLogin(tc.protocol, tc.user, tc.password, netip.MustParseAddr(host), 2323) {
			t.Errorf("%s %s/%s: reported for another port", tc.protocol, tc.user, tc.password)
		}
	}
}

// TestTelnetLoginFindings: the telnet analyzer's login facts are logins in
// clear text; an accepted default pair is default_creds, a refused one
// default_creds_tried.
func TestTelnetLoginFindings(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "_telnet_auth",
		`{"ts":1,"uid":"Tt1","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"10.0.0.30","id.resp_p":23,"user":"root","password":"vizxv","success":false}`,
		`{"ts":2,"uid":"Tt2","id.orig_h":"10.0.0.66","id.orig_p":40001,"id.resp_h":"10.0.0.30","id.resp_p":23,"user":"root","password":"xc3511","success":true}`,
		`{"ts":3,"uid":"Tt3","id.orig_h":"10.0.0.5","id.orig_p":40002,"id.resp_h":"10.0.0.31","id.resp_p":23,"user":"alice","password":"Tr0ub4dor&3","success":true}`,
		`{"ts":4,"uid":"Tt4","id.orig_h":"10.0.0.5","id.orig_p":40003,"id.resp_h":"10.0.0.32","id.resp_p":23,"password":"cisco","success":false}`)
	inv.Close()
	for _, w := range [][3]string{
		{"default_creds", "10.0.0.30", "root/xc3511"},
		{"default_creds_tried", "10.0.0.30", "root/vizxv"},
		{"cleartext_login", "10.0.0.30", "user root"},
		{"cleartext_login", "10.0.0.31", "user alice"},
		{"cleartext_login", "10.0.0.32", "user <none>"},
	} {
		found := false
		for _, f := range findingsOf(inv, w[0]) {
			if f.Host == w[1] && f.Value == w[2] {
				found = true
				if f.Src == "" || !strings.Contains(f.Summary, "telnet") {
					t.Errorf("%s: %+v", w[0], f)
				}
			}
		}
		if !found {
			t.Errorf("no %s finding on %s (%s); have %s", w[0], w[1], w[2], kinds(inv))
		}
	}
	if fs := findingsOf(inv, "default_creds"); len(fs) != 1 {
		t.Errorf("default_creds findings %s", kinds(inv))
	}
}

// TestNullPassword: a password field that is null is a password not known,
// not an empty one: no default-credential finding matches it.
func TestNullPassword(t *testing.T) {
	for _, c := range []struct {
		password string
		want     int
	}{{`null`, 0}, {`""`, 1}} {
		inv := newInv(t, nil)
		feed(inv, "http", `{"ts":1,"uid":"Ch1","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"10.0.0.30","id.resp_p":80,"method":"GET","host":"x","uri":"/","status_code":200,"username":"admin","password":`+c.password+`}`)
		inv.Close()
		if got := len(findingsOf(inv, "default_creds")); got != c.want {
			t.Errorf("password %s: %d default_creds findings, want %d (%s)", c.password, got, c.want, kinds(inv))
		}
		if len(findingsOf(inv, "cleartext_login")) != 1 {
			t.Errorf("password %s: no cleartext_login (%s)", c.password, kinds(inv))
		}
	}
}
