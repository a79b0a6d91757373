package conformance

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestNTLMFromSMB checks ntlm.log on Zeek's SMB traces: SMB1 with raw
// NTLMSSP, SMB1 without extended security, SMB2 over SPNEGO against
// Samba and Windows, SMB3 picked up mid-stream (as Zeek does). Zeek's baselines for these tests keep no ntlm.log,
// so the expected names were read off the captures (their UTF-16
// strings) and the verdicts off the session setup replies' status.
func TestNTLMFromSMB(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	for _, tc := range []struct {
		trace string
		want  []string // username|hostname|domainname|server_nb|server_dns|tree|success
	}{
		{"smb/raw_ntlm_in_smb.pcap", []string{"test|BABYBOOK|TEST-F7DFBC3FE9|TEST-F7DFBC3FE9|test-f7dfbc3fe9||true"}},
		{"smb/smb1_transaction_request.pcap", []string{"GUEST||||||true"}},
		{"smb/smb2-zero-byte-error-ioctl.pcapng", []string{"justin|JUSTIN-AZOFF|65A2D0F0A866|65A2D0F0A866|65a2d0f0a866||true"}},
		{"smb/smb2.delete-on-close-perms-delete-existing.pcap", []string{"zeek|TINKYX390|ZEEK-TEST|TINKYX390|tinkyx390.local||true"}},
		{"smb/smb_v2_only_non_zero_reserved1.pcap", []string{
			"Administrator|WIN-I82B81NSLLJ|WIN-I82B81NSLLJ|WIN-SVV-PC1|win-svv-pc1.svv.local|svv.local|true",
			"Administrator|WIN-I82B81NSLLJ|WIN-I82B81NSLLJ|WIN-SVV-PC1|win-svv-pc1.svv.local|svv.local|true",
			"Administrator|WIN-I82B81NSLLJ|WIN-I82B81NSLLJ|WIN-SVV-PC1|win-svv-pc1.svv.local|svv.local|true",
			"Administrator|WIN-I82B81NSLLJ|WIN-I82B81NSLLJ|WIN-SVV-PC1|win-svv-pc1.svv.local|svv.local|true"}},
		{"smb/smb3.pcap", []string{"administrator||SUSE|WS2016|WS2016.suse.de|suse.de|true"}}, // picked up mid-stream
	} {
		t.Run(filepath.Base(tc.trace), func(t *testing.T) {
			out := runPipeline(t, filepath.Join(zeekDir, "testing/btest/Traces", tc.trace), true)
			recs, _ := ReadJSONLog(filepath.Join(out, "ntlm.log"))
			var got []string
			for _, r := range recs {
				var f []string
				for _, k := range []string{"username", "hostname", "domainname", "server_nb_computer_name", "server_dns_computer_name", "server_tree_name", "success"} {
					if v, ok := r[k]; ok {
						f = append(f, fmt.Sprint(v))
					} else {
						f = append(f, "")
					}
				}
				got = append(got, strings.Join(f, "|"))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("ntlm.log\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			conns, err := ReadJSONLog(filepath.Join(out, "conn.log"))
			if err != nil {
				t.Fatal(err)
			}
			smb := 0
			for _, c := range conns {
				if c["service"] == "smb" {
					smb++
				}
			}
			if smb == 0 {
				t.Error(`no connection has service "smb"`)
			}
		})
	}
}
