package dga

import (
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record/rec"
	"math/rand/v2"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

func lookup(ts float64, name, rcode string) dt.Line {
	return dt.Rec("dns", map[string]any{"ts": ts, "uid": "D", "id.orig_h": "10.0.0.7", "id.orig_p": 5000, "id.resp_h": "10.0.0.53", "id.resp_p": 53, "query": name, "rcode_name": rcode})
}

func TestDGA(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var l []dt.Line
	for i := 0; i < 40; i++ {
		b := make([]byte, 12+rng.IntN(6))
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		l = append(l, lookup(1000+float64(i), string(b)+".net", "NXDOMAIN"))
	}
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	a := dt.Find(t, dt.Run(t, d, l), "dns.dga")
	if a.Src != "10.0.0.7" || dt.Num(t, a, "domains") < 20 {
		t.Errorf("alert %s", a.JSON())
	}
}

func TestQuiet(t *testing.T) {
	var l []dt.Line
	for i, n := range []string{"www.google.com", "github.com", "en.wikipedia.org", "www.bbc.co.uk", "d1a2b3c4d5.cloudfront.net",
		"mail.yahoo.com", "stackoverflow.com", "news.ycombinator.com", "www.amazon.de", "login.microsoftonline.com",
		"xn--80ak6aa92e.com", "cdn.jsdelivr.net", "fonts.gstatic.com", "www.nytimes.com", "api.weather.gov"} {
		for k := 0; k < 3; k++ {
			l = append(l, lookup(1000+float64(i*3+k), n, "NOERROR"))
		}
	}
	d, _ := New(DefaultConfig())
	dt.Quiet(t, dt.Run(t, d, l))
}

// TestStateBounded: a client looking up thousands of generated names, all
// unanswered, keeps at most 256 domains and 256 unanswered ones (the
// unanswered are counted among the kept domains only).
func TestStateBounded(t *testing.T) {
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var r rec.Rec
	var alerts int
	for i := 0; i < 3000; i++ {
		b := make([]byte, 14)
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		l := lookup(1000+float64(i)/10, string(b)+".net", "NXDOMAIN")
		if err := r.Parse(l.Log, l.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, func(alert.Alert) { alerts++ })
	}
	cl := d.clients[netip.MustParseAddr("10.0.0.7")]
	if cl == nil || alerts != 1 {
		t.Fatalf("client %v, %d alerts", cl, alerts)
	}
	if len(cl.domains) > 256 || len(cl.nx) > len(cl.domains) {
		t.Errorf("%d domains, %d unanswered", len(cl.domains), len(cl.nx))
	}
}

// TestEvictsLongestIdle: past MaxClients the clients idle longest go, so
// that the same records give the same alerts (it was an arbitrary tenth,
// by map order).
func TestEvictsLongestIdle(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClients = 10
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 11; i++ {
		d.client(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), float64(i))
	}
	if len(d.clients) != 10 {
		t.Fatalf("%d clients kept", len(d.clients))
	}
	if _, ok := d.clients[netip.AddrFrom4([4]byte{10, 0, 0, 1})]; ok {
		t.Error("the client idle longest was kept")
	}
}
