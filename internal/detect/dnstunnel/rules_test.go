package dnstunnel

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// TestJudge: encodings are told apart; words, host ids of a few
// characters and underscore labels are not data.
func TestJudge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, tc := range []struct {
		sub  string
		want Encoding
	}{
		{randFrom(rng, "0123456789abcdef", 24) + ".0a1f", Hex},
		{randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 50), Base32},
		{randFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 30), Base32},
		{randFrom(rng, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 40), Base64},
		{"q+Z8AnwaBA", Base64},
		{"hvobgaabaei5odfgmjk4memyrtffoezdrei1mezgrta2oeixqzmwodcyqtlbqjc.=auth.srv", Base64},
		{"Brother HL-L2350DW (0)", Other},
		{"www", NoData},
		{"e1234.dscb", NoData},
		{"r5---sn-4g5e6nsz", NoData},
		{"selector1._domainkey", NoData},
		{"attachments.prod.remote-settings.prod.webservices", NoData},
		{"internationalization-department-headquarters", NoData},
	} {
		if _, got := Judge(tc.sub); got != tc.want {
			t.Errorf("Judge(%q) = %v, want %v", tc.sub, got, tc.want)
		}
	}
}

// TestAddressKeyed: reversed IPv4 addresses and IPv6 nibbles are found at
// the start of a subdomain only.
func TestAddressKeyed(t *testing.T) {
	for sub, want := range map[string]string{
		"4.3.2.1.zen":                       "zen",
		"10.0.0.127.abcdef.zen.dq":          "abcdef.zen.dq",
		"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0":   "",
		"1.2.3.origin":                      "1.2.3.origin",
		"256.1.1.1.x":                       "256.1.1.1.x",
		"www.4.3.2.1":                       "www.4.3.2.1",
		"a.b.c.d.e.f.0.1.origin6.asn.cymru": "origin6.asn.cymru",
	} {
		rest, ok := addressKeyed(sub)
		if rest != want || ok != (rest != sub) {
			t.Errorf("addressKeyed(%q) = %q, %v; want %q", sub, rest, ok, want)
		}
	}
}

// TestAddressKeyedNotMeanLength: a blocklist not on the allowlist is not a
// tunnel by its long names: the address part is no data.
func TestAddressKeyedNotMeanLength(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 100; i++ {
		l = append(l, query(1000+float64(i)*20, "192.0.2.25", fmt.Sprintf("%d.%d.%d.%d.key-0123456789.bl.example-rbl.net", 1+i, i%200, 7, 9), "A"))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
}

// TestMDNSPortSkipped: names asked of the mDNS port are not counted,
// whatever their domain.
func TestMDNSPortSkipped(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var l []dt.Line
	for i := 0; i < 100; i++ {
		l = append(l, mdns(1000+float64(i), "10.1.0.11", randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 50)+".example.com", "TXT"))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
}

// TestProtoFromRecords: the alert's transport is the records'.
func TestProtoFromRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var l []dt.Line
	for i := 0; i < 60; i++ {
		l = append(l, dt.Rec("dns", map[string]any{"ts": 1000 + float64(i), "uid": "T", "id.orig_h": "10.0.0.5", "id.orig_p": 40000,
			"id.resp_h": "10.0.0.53", "id.resp_p": 5300, "proto": "tcp", "query": randFrom(rng, "0123456789abcdef", 32) + ".t.example.com", "qtype_name": "A"}))
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "dns.tunnel")
	if a.Proto != "tcp" || a.DstP != 5300 || a.Evidence["reason"] != "tunnel_like_share" {
		t.Errorf("alert %s", a.JSON())
	}
}

// TestNameBudget: past MaxNames in all, domains tell new names from old
// with their sketch: the hashes kept stay within the budget, and a tunnel
// met then is still reported, its unique count estimated.
func TestNameBudget(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxNames = 1000
	d := New(cfg)
	var r rec.Rec
	var alerts []alert.Alert
	emit := func(a alert.Alert) { alerts = append(alerts, a) }
	handle := func(l dt.Line) {
		if err := r.Parse(l.Log, l.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
	}
	for i := 0; i < 3000; i++ {
		handle(query(1000+float64(i)/10, "10.0.0.9", fmt.Sprintf("host-%04d.svc%d.example-%d.com", i, i%3, i%5), "A"))
	}
	rng := rand.New(rand.NewPCG(6, 6))
	for i := 0; i < 300; i++ {
		name := randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 50) + ".t.evil-tunnel.com"
		handle(query(1400+float64(i)/10, "10.66.0.40", name, "A"))
		handle(query(1400+float64(i)/10, "10.66.0.40", name, "A")) // each twice
	}
	d.Flush(1e9, emit)
	if d.kept > cfg.MaxNames {
		t.Errorf("%d names kept, over %d", d.kept, cfg.MaxNames)
	}
	var got *alert.Alert
	for i, a := range alerts {
		if a.Name == "evil-tunnel.com" && a.Evidence["reason"] == "tunnel_like_share" {
			got = &alerts[i]
		}
	}
	if got == nil {
		t.Fatalf("no tunnel alert among %d", len(alerts))
	}
	if u := got.Evidence["unique_subdomains"].(int); u < 280 || u > 320 || got.Evidence["unique_estimated"] != true {
		t.Errorf("alert %s", got.JSON())
	}
}

// TestFlushCadence: the long-horizon rules give the same alerts whether
// the detector is flushed every ten seconds (streaming) or only at the end
// (offline).
func TestFlushCadence(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var l []dt.Line
	for i := 0; i < 480; i++ {
		l = append(l, query(1000+float64(i)*180, "10.66.0.42", randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 50)+".t.slowdrip.org", "TXT"))
	}
	for i := 0; i < 300; i++ {
		sub := randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 60)
		l = append(l, query(30000+float64(i)*10, "10.66.0.43", fmt.Sprintf("%s.%s.d%02d-relay.net", sub[:50], sub[50:], i%12), "TXT"))
	}
	long := func(alerts []alert.Alert) []string {
		var out []string
		for _, a := range alerts {
			if r := a.Evidence["reason"]; r == "slow" || r == "client_spread" {
				out = append(out, fmt.Sprintf("%v %s %s %v %.0f", r, a.Src, a.Name, a.Evidence["tunnel_like_names"], a.TS))
			}
		}
		return out
	}
	sort.SliceStable(l, func(i, j int) bool { return l[i].TS < l[j].TS })
	streaming := long(dt.Run(t, New(DefaultConfig()), l))
	var offline []alert.Alert
	d := New(DefaultConfig())
	var r rec.Rec
	emit := func(a alert.Alert) { offline = append(offline, a) }
	for _, x := range l {
		if err := r.Parse(x.Log, x.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
	}
	d.Flush(1e18, emit)
	if got := long(offline); fmt.Sprint(got) != fmt.Sprint(streaming) || len(got) != 2 {
		t.Errorf("streaming %v, offline %v", streaming, got)
	}
}
