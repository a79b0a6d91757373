package conformance

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestDHCPSuricataVerify checks dhcp.log against suricata-verify's dhcp
// checks. Suricata logs one event per message; Vigil (like Zeek) one
// record per exchange, so each check's message fields are looked up in
// the record of its exchange: the client's MAC, host name, parameter
// request list (Suricata's names mapped back to option numbers), vendor
// class, assigned address and lease time, and the message type among
// msg_types. Suricata names only the options it knows in params, so the
// requested options are compared after keeping those the check names.
//
// Not compared: dhcp-option-52-overload{,-both} (options carried in the
// sname/file fields; Zeek, which Vigil follows, does not read them) and
// Suricata-only fields (ids, renewal/rebinding times, routers, DNS
// servers, subnet mask: Zeek's dhcp.log has no such fields).
func TestDHCPSuricataVerify(t *testing.T) {
	sv := testcorpus.Require(t, "suricata-verify")
	type check struct {
		test  string
		field string
		want  string
	}
	checks := []check{
		{"dhcp-eve-extended", "mac", "00:11:32:17:49:f0"},
		{"dhcp-eve-extended", "host_name", "nas1\x00"},
		{"dhcp-eve-extended", "client_addr", "10.16.1.4"},
		{"dhcp-eve-extended", "assigned_addr", "10.16.1.4"},
		{"dhcp-eve-extended", "server_addr", "10.16.1.1"},
		{"dhcp-eve-extended", "lease_time", "3600.0"},
		{"dhcp-eve-extended", "msg_types", "[REQUEST ACK]"},
		// subnet_mask, router, domain, dns_server
		{"dhcp-eve-extended", "requested_options", "[1 3 15 6]"},
		{"dhcp-eve-extended-option-60", "vendor_class", "MSFT 5.0"},
		{"dhcp-eve-extended-option-60", "client_software", "MSFT 5.0"},
		{"dhcp-eve-extended-option-60", "msg_types", "[REQUEST]"},
		// subnet_mask, domain, router, dns_server
		{"dhcp-eve-extended-option-60", "requested_options", "[1 15 3 6]"},
	}
	recs := map[string][]Rec{}
	agree := 0
	for _, c := range checks {
		rs, ok := recs[c.test]
		if !ok {
			rs = pipelineLog(t, filepath.Join(sv, "tests", c.test, "input.pcap"), true, "dhcp")
			recs[c.test] = rs
			if len(rs) != 1 {
				t.Errorf("%s: %d dhcp.log records, want 1", c.test, len(rs))
			}
		}
		got := "-"
		if len(rs) > 0 {
			if v, ok := rs[0][c.field]; ok {
				if c.field == "requested_options" {
					v = keepNamed(v.([]any), c.want)
				}
				got = fmt.Sprint(v)
			}
		}
		if got == c.want {
			agree++
		} else {
			t.Errorf("%s: %s = %q, want %q", c.test, c.field, got, c.want)
		}
	}
	t.Logf("suricata-verify dhcp: %d/%d checks agree", agree, len(checks))
}

// keepNamed keeps the options of list that appear in want ("[1 3 15 6]").
func keepNamed(list []any, want string) []any {
	var out []any
	for _, o := range list {
		if strings.Contains(" "+strings.Trim(want, "[]")+" ", " "+fmt.Sprint(o)+" ") {
			out = append(out, o)
		}
	}
	return out
}
