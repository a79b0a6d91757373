package detect

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestStreamingStateBounded: a live engine fed four days of benign
// traffic — hosts that come and go (DHCP churn), a million distinct
// destinations, DNS names and TLS server names — with the wall clock
// every few seconds, then two days of a quiet link. Every detector's
// state stays within its bound each day, no episode or incident is held,
// and once the link has been quiet for two days what waits on time has
// expired: only the caches kept by count (names worked out, proxy
// connections) and a few entries remain.
func TestStreamingStateBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("four days of records")
	}
	cfg := DefaultConfig()
	cfg.Aggregate = LiveAggregate()
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	base, days, perDay := 1.7e9, 4, 25_000
	for d := range days {
		for i := range perDay {
			ts := base + float64(d)*86400 + float64(i)*86400/float64(perDay)
			l := benignRecord(rng, ts, rng.IntN(3000)+d*500, rng.IntN(1_000_000))
			e.Record(l.Log, l.JSON)
			if i%20 == 0 {
				e.Advance(int64(ts * 1e9))
			}
		}
		checkStateBounds(t, e)
		t.Logf("day %d: %d entries held, heap %d MiB", d+1, heldEntries(e, nil), heapMiB())
	}
	end := base + float64(days)*86400
	for s := 0.0; s < 2*86400; s += 10 {
		e.Advance(int64((end + s) * 1e9))
	}
	caches := map[string]bool{"dnstunnel names.shared.known": true, "dga names.shared.known": true, "beacon recent": true, "beacon recentQ": true}
	n := heldEntries(e, caches)
	incidents, crowds := e.corr.Held()
	t.Logf("after two quiet days: %d entries held besides caches (%d in all), heap %d MiB", n, heldEntries(e, nil), heapMiB())
	if n > 16 || len(e.open) > 0 || incidents+crowds > 0 {
		t.Errorf("after two quiet days: %d detector entries, %d episodes, %d incidents, %d crowds held", n, len(e.open), incidents, crowds)
	}
}

// benignRecord is one record of a site's ordinary traffic: host h's
// connection, DNS lookup or TLS handshake to destination n.
func benignRecord(rng *rand.Rand, ts float64, h, n int) dt.Line {
	src := fmt.Sprintf("10.%d.%d.%d", (h/62500)%256, (h/250)%250, 1+h%250)
	dst := fmt.Sprintf("%d.%d.%d.%d", 23+n%150, (n/150)%256, (n*7)%256, 1+n%250)
	switch rng.IntN(4) {
	case 0, 1:
		return dt.Conn{TS: ts, UID: fmt.Sprintf("C%x", rng.Uint64()), Src: src, SrcP: 1024 + rng.IntN(60000), Dst: dst, DstP: 443,
			Duration: 3, OrigBytes: 900, RespBytes: 20000, OrigPkts: 10, RespPkts: 20}.Line()
	case 2:
		return dt.Rec("dns", map[string]any{"ts": ts, "uid": "D", "id.orig_h": src, "id.orig_p": 5000, "id.resp_h": "10.0.0.53", "id.resp_p": 53,
			"proto": "udp", "query": fmt.Sprintf("www.site%d.example.com", n), "qtype_name": "A", "rcode_name": "NOERROR", "answers": []string{dst}})
	default:
		return dt.Rec("ssl", map[string]any{"ts": ts, "uid": "S", "id.orig_h": src, "id.orig_p": 40000, "id.resp_h": dst, "id.resp_p": 443,
			"server_name": fmt.Sprintf("cdn%d.example.net", n), "ja3": "72a589da586844d7f0818ce684948eea"})
	}
}

// heldEntries sums the entries of every map and list of the detectors'
// state (stateSizes), those named in skip and those configuration fills
// aside.
func heldEntries(e *Engine, skip map[string]bool) int {
	bounds, n := stateBounds(&e.cfg), 0
	for _, d := range e.detectors {
		for path, size := range stateSizes(d) {
			if key := d.Name() + " " + path; !skip[key] && bounds[key] != config {
				n += size
			}
		}
	}
	return n
}

func heapMiB() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc >> 20
}
