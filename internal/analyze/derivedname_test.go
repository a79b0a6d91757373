package analyze

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestNamedInputCalledLikeADerivedLog: a file named on the command line is
// read even when its name is that of one of Vigil's derived logs, when it
// is not one: a Suricata EVE file saved as alerts.json, a Zeek conn log
// saved as assets.log. One of Vigil's own (JSON lines named alerts.log)
// is refused with a reason, not skipped without a word.
func TestNamedInputCalledLikeADerivedLog(t *testing.T) {
	dir := t.TempDir()
	eve := writeFile(t, dir, "alerts.json",
		`{"timestamp":"2026-01-01T00:00:00.000000+0000","flow_id":1,"event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.2","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"example.com","rrtype":"A"}}`+"\n")
	tsv := writeFile(t, dir, "assets.log", tsvConnRows("100.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n"))
	for _, in := range []string{eve, tsv} {
		cfg := DefaultConfig()
		cfg.OutDir = filepath.Join(t.TempDir(), "out")
		sum, err := Run(context.Background(), cfg, []string{in})
		if err != nil || sum.LogRecords != 1 {
			t.Errorf("%s: %v, want its one record read", filepath.Base(in), err)
		}
	}
	own := writeFile(t, dir, "alerts.log", `{"ts":1,"class":"scan.vertical","src":"10.0.0.1"}`+"\n")
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	if _, err := Run(context.Background(), cfg, []string{own}); err == nil || !strings.Contains(err.Error(), "Vigil's own alerts log") {
		t.Errorf("Vigil's own alerts.log named: %v, want it refused with a reason", err)
	}
}
