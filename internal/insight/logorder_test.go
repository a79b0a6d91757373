package insight

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zeekLogins writes a Zeek deployment's logs of n short connections from
// 10.1.0.5 to 10.1.0.9 on port (conn.log, TSV) and their logins in
// loginLog (JSON: ntlm.log or ssh.log), each login accepted or not.
func zeekLogins(t *testing.T, dir string, n int, port int, loginLog string, accepted bool) []string {
	t.Helper()
	var conn, logins strings.Builder
	conn.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\tresp_pkts\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\tstring\tstring\tcount\tcount\n")
	for i := 0; i < n; i++ {
		ts := 1767225600.0 + 30*float64(i)
		uid := fmt.Sprintf("C%s%d", loginLog, i)
		fmt.Fprintf(&conn, "%.6f\t%s\t10.1.0.5\t%d\t10.1.0.9\t%d\ttcp\t2.0\t1500\t1800\tSF\tShADadFf\t12\t10\n", ts, uid, 40000+i, port)
		id := fmt.Sprintf(`"ts":%.6f,"uid":%q,"id.orig_h":"10.1.0.5","id.orig_p":%d,"id.resp_h":"10.1.0.9","id.resp_p":%d`, ts+0.5, uid, 40000+i, port)
		if loginLog == "ntlm" {
			fmt.Fprintf(&logins, `{%s,"username":"backup","domainname":"CORP","success":%v}`+"\n", id, accepted)
		} else {
			fmt.Fprintf(&logins, `{%s,"auth_success":%v,"auth_attempts":1}`+"\n", id, accepted)
		}
	}
	conn.WriteString("#close\t2026-01-01-01-00-00\n")
	paths := []string{filepath.Join(dir, loginLog+"-conn.log"), filepath.Join(dir, loginLog+".log")}
	for i, text := range []string{conn.String(), logins.String()} {
		if err := os.WriteFile(paths[i], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// TestZeekLogsOfAcceptedLoginsAreQuiet: a backup job's short SMB
// connections and an automation's short SSH ones, each with its accepted
// login, given as Zeek logs with conn.log first, raise no brute-force
// alert: the logs are read in time order, so each login is seen with its
// connection. The same connections with refused logins are alerted.
func TestZeekLogsOfAcceptedLoginsAreQuiet(t *testing.T) {
	dir := t.TempDir()
	inputs := append(zeekLogins(t, dir, 20, 445, "ntlm", true), zeekLogins(t, dir, 20, 22, "ssh", true)...)
	_, out := run(t, inputs...)
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		if c, _ := a["class"].(string); strings.HasPrefix(c, "bruteforce") {
			t.Errorf("accepted logins alerted: %v", a)
		}
	}

	refused := t.TempDir()
	inputs = append(zeekLogins(t, refused, 20, 445, "ntlm", false), zeekLogins(t, refused, 20, 22, "ssh", false)...)
	_, out = run(t, inputs...)
	found := map[string]bool{}
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		c, _ := a["class"].(string)
		found[c] = true
	}
	for _, c := range []string{"bruteforce.smb", "bruteforce.ssh"} {
		if !found[c] {
			t.Errorf("refused logins: no %s alert (have %v)", c, found)
		}
	}
}
