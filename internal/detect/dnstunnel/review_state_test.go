package dnstunnel

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// TestReviewStateBudget: "state bounded with millions of distinct names".
// The bounds are per domain (MaxUnique 5000 subdomains) and per detector
// (MaxDomains 100,000 domains) but not on their product: 5×10⁸ remembered
// subdomains. A resolver's day of CDN, telemetry and DNSBL names fills
// one domain's 5000 each; here 1,200,000 distinct names under 240 parent
// domains (5000 each, ordinary 20-character host names, no alert) are all
// kept: 121 MiB, ~100 bytes a name, so the documented bounds allow about
// 49 GiB. The test holds the detector to a 64 MiB budget (a choice of
// this review: any global cap, or counting unique names with a sketch
// once MinUnique is passed, would do).
func TestReviewStateBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	d := New(DefaultConfig())
	var r rec.Rec
	emit := func(alert.Alert) {}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for dom := 0; dom < 240; dom++ {
		for i := 0; i < 5000; i++ {
			l := query(1000+float64(n)/400, "10.0.0.53", fmt.Sprintf("host-%06d-web.eu.svc%03d.example-%03d.com", i, dom%7, dom), "A")
			if err := r.Parse(l.Log, l.JSON); err != nil {
				t.Fatal(err)
			}
			d.Handle(&r, emit)
			n++
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := 0
	for _, s := range d.domains {
		kept += len(s.subs)
	}
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d names over %d domains: %d subdomains kept, heap %.0f MiB (worst case MaxDomains×MaxUnique = %d subdomains ≈ %.0f GiB at this rate)",
		n, len(d.domains), kept, float64(heap)/(1<<20), DefaultConfig().MaxDomains*DefaultConfig().MaxUnique,
		float64(heap)/float64(max(kept, 1))*float64(DefaultConfig().MaxDomains*DefaultConfig().MaxUnique)/(1<<30))
	if heap > 64<<20 {
		t.Errorf("dnstunnel holds %.0f MiB for %d distinct names; no global bound", float64(heap)/(1<<20), n)
	}
}
