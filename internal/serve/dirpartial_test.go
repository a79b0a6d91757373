package serve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDirectoryDropWithOneBadLine: a dropped rotation whose eve.json has one
// malformed line is a run done with a note, as such a file dropped alone
// is (TestEVEInbox): the alerts its Zeek logs raise are stored, here 20
// refused SSH logins, a brute force.
func TestDirectoryDropWithOneBadLine(t *testing.T) {
	for _, bad := range []bool{false, true} {
		srv, ts := eveServer(t, true)
		dir := filepath.Join(srv.cfg.inbox(), "sensor-2026-01-01")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var conn, ssh strings.Builder
		conn.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
			"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\tresp_pkts\n" +
			"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\tstring\tstring\tcount\tcount\n")
		for i := 0; i < 20; i++ {
			t0 := 1767225600.0 + 30*float64(i)
			uid := fmt.Sprintf("Cssh%d", i)
			fmt.Fprintf(&conn, "%.6f\t%s\t10.1.0.5\t%d\t10.1.0.9\t22\ttcp\t2.0\t1500\t1800\tSF\tShADadFf\t12\t10\n", t0, uid, 40000+i)
			fmt.Fprintf(&ssh, `{"ts":%.6f,"uid":%q,"id.orig_h":"10.1.0.5","id.orig_p":%d,"id.resp_h":"10.1.0.9","id.resp_p":22,"auth_success":false,"auth_attempts":1}`+"\n", t0+0.5, uid, 40000+i)
		}
		eve := `{"timestamp":"2026-01-01T00:00:01.000000+0000","flow_id":7,"event_type":"dns","src_ip":"10.1.0.5","src_port":5353,"dest_ip":"10.1.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"example.com","rrtype":"A"}}` + "\n"
		if bad {
			eve += `{"timestamp":"2026-01-01T00:00:02.000000+0000","event_type":"dns",` + "\n" // cut short
		}
		for name, text := range map[string]string{"conn.log": conn.String(), "ssh.log": ssh.String(), "eve.json": eve} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ierr := srv.IngestFile(context.Background(), dir, time.Time{})
		var al page
		get(t, ts, "/api/v1/alerts?limit=100", srv.Tokens().Read, &al)
		_, failedErr := os.Stat(filepath.Join(srv.cfg.failed(), "sensor-2026-01-01"))
		t.Logf("bad line %v: ingest error %v; %d alerts; in failed/: %v", bad, ierr, al.Total, failedErr == nil)
		if al.Total == 0 {
			t.Errorf("bad line %v: the brute force of the directory's Zeek logs is not stored (ingest error: %v)", bad, ierr)
		}
	}
}
