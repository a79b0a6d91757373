package situation

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/duckdb"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

const (
	t0      = 1767225600.0
	server  = "10.0.0.10"
	printer = "10.0.0.20"
	outside = "203.0.113.5"
)

// situationOf stores the records that fill writes and computes the model.
func situationOf(t *testing.T, fill func(w *store.Writer)) *Snapshot {
	t.Helper()
	db, err := duckdb.Open(filepath.Join(t.TempDir(), "v.duckdb"), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := store.NewWriter(db, store.DefaultWriterConfig())
	w.Record("assets", storetest.AssetJSON("00:00:00:00:00:10", server, "server", ""))
	w.Record("assets", storetest.AssetJSON("00:00:00:00:00:20", printer, "printer", ""))
	fill(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := New(db, DefaultConfig()).Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func riskOf(s *Snapshot, addr string) AssetRisk {
	for _, r := range s.Risks {
		if len(r.Addrs) > 0 && r.Addrs[0] == addr {
			return r
		}
	}
	return AssetRisk{}
}

// A crown-jewel server beacons out (one critical alert, an incident of
// score 90) while an outside scanner hits the office printer 500 times:
// the server must head the list.
func TestRiskCompromiseOutranksScans(t *testing.T) {
	s := situationOf(t, func(w *store.Writer) {
		for i := range 500 {
			w.Record("alerts", storetest.AlertJSON(t0+float64(i)*3, "scan.vertical", 3, outside, printer))
		}
		w.Record("alerts", storetest.AlertJSON(t0+1200, "malware.c2", 1, server, outside))
		w.Record("incidents", storetest.IncidentJSON("inc-1", t0+600, t0+1200, outside, server, 1, 90))
	})
	srv, prn := riskOf(s, server), riskOf(s, printer)
	t.Logf("server %+v\nprinter %+v", srv, prn)
	if srv.Risk <= prn.Risk {
		t.Errorf("compromised server risk %v ≤ scanned printer %v", srv.Risk, prn.Risk)
	}
}

// One critical alert without an incident still outranks a scan flood.
func TestRiskCriticalAlertOutranksScanFlood(t *testing.T) {
	s := situationOf(t, func(w *store.Writer) {
		for i := range 500 {
			w.Record("alerts", storetest.AlertJSON(t0+float64(i)*3, "scan.vertical", 3, outside, printer))
		}
		w.Record("alerts", storetest.AlertJSON(t0+1200, "malware.c2", 1, server, outside))
	})
	if srv, prn := riskOf(s, server), riskOf(s, printer); srv.Risk <= prn.Risk {
		t.Errorf("server with a critical alert %v ≤ printer scanned 500 times %v", srv.Risk, prn.Risk)
	}
}

// A noisy detector repeating one info alert a thousand times must not
// make its host look worse than a host with one critical alert.
func TestRiskRepeatsBounded(t *testing.T) {
	s := situationOf(t, func(w *store.Writer) {
		for i := range 1000 {
			w.Record("alerts", storetest.AlertJSON(t0+float64(i), "policy.cleartext", 4, outside, printer))
		}
		w.Record("alerts", storetest.AlertJSON(t0+999, "exploit.rce", 1, outside, server))
	})
	srv, prn := riskOf(s, server), riskOf(s, printer)
	t.Logf("server threat %v, printer threat %v", srv.Threat, prn.Threat)
	if prn.Threat >= srv.Threat {
		t.Errorf("1000 info alerts give threat %v ≥ one critical alert's %v", prn.Threat, srv.Threat)
	}
}

// A flood of scans in the last ten minutes must not push the server's
// critical alert of two hours ago out of the risk picture.
func TestRiskFloodDoesNotHideCompromise(t *testing.T) {
	s := situationOf(t, func(w *store.Writer) {
		w.Record("alerts", storetest.AlertJSON(t0, "malware.c2", 1, server, outside))
		for i := range 1500 {
			w.Record("alerts", storetest.AlertJSON(t0+7200+float64(i)*0.4, "scan.vertical", 3, outside, printer))
		}
	})
	if srv := riskOf(s, server); srv.Threat == 0 {
		t.Errorf("server's critical alert lost behind the scan flood: %+v", s.Risks)
	}
}

// Risk fades after the activity stops: a lone alert's weight halves
// every HalfLife (data time), an incident's score from its last activity.
func TestRiskDecays(t *testing.T) {
	threat := func(later float64, incident bool) float64 {
		s := situationOf(t, func(w *store.Writer) {
			w.Record("alerts", storetest.AlertJSON(t0, "malware.c2", 1, server, outside))
			if incident {
				w.Record("incidents", storetest.IncidentJSON("inc-1", t0-600, t0, outside, server, 1, 80))
			}
			// something else happens later: data time moves on
			w.Record("alerts", storetest.AlertJSON(t0+later, "scan.vertical", 4, outside, "192.0.2.1"))
		})
		return riskOf(s, server).Threat
	}
	now, half, day := threat(0, false), threat(HalfLife, false), threat(20*3600, false)
	t.Logf("threat of one critical alert: now %v, after %d h %v, after 20 h %v", now, HalfLife/3600, half, day)
	if want := round1(100 * (1 - math.Exp(-7.5/20))); now <= half || half != want || day > 5 {
		t.Errorf("threat %v → %v (want %v) → %v", now, half, want, day)
	}
	if inc := threat(2*HalfLife, true); inc != 20 {
		t.Errorf("incident of score 80 ended two half-lives ago: threat %v, want 20", inc)
	}
}

// The explanation names the heaviest contributions first, with their
// weight, even when newer, lighter classes abound.
func TestRiskReasons(t *testing.T) {
	s := situationOf(t, func(w *store.Writer) {
		w.Record("alerts", storetest.AlertJSON(t0, "malware.c2", 1, server, outside))
		for i := range 8 {
			w.Record("alerts", storetest.AlertJSON(t0+60+float64(i), fmt.Sprintf("policy.p%d", i), 4, outside, server))
		}
	})
	r := riskOf(s, server)
	if len(r.Reasons) == 0 || !strings.Contains(r.Reasons[0], "malware.c2") || !strings.HasSuffix(r.Reasons[0], ": 15.0") {
		t.Errorf("reasons %q", r.Reasons)
	}
}

// A password spray (no dst, its servers in dsts) makes each server it
// tried a target, as a brute force on one server makes that server one:
// read by dst alone, the sprayed servers had no threat from the alert.
func TestRiskSprayTargetsEachServer(t *testing.T) {
	s := situationOf(t, func(w *store.Writer) {
		spray := strings.Replace(string(storetest.AlertJSON(t0, "bruteforce.ssh", 1, outside, "")),
			`"class"`, `"dsts":["`+server+`","`+printer+`"],"dst_count":2,"class"`, 1)
		w.Record("alerts", []byte(spray))
	})
	for _, h := range []string{server, printer} {
		if r := riskOf(s, h); r.Threat == 0 || !strings.Contains(strings.Join(r.Reasons, "; "), "target of bruteforce.ssh") {
			t.Errorf("%s: threat %v, reasons %v: want it a target of the spray", h, r.Threat, r.Reasons)
		}
	}
}
