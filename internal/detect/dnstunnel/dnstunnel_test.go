package dnstunnel

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

func query(ts float64, client, name, qtype string) dt.Line {
	return dt.Rec("dns", map[string]any{"ts": ts, "uid": "D", "id.orig_h": client, "id.orig_p": 5353, "id.resp_h": "10.66.0.53", "id.resp_p": 53,
		"proto": "udp", "query": name, "qtype_name": qtype})
}

func TestIodineLike(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var l []dt.Line
	for i := 0; i < 300; i++ {
		b := make([]byte, 60)
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		l = append(l, query(1000+float64(i)/10, "10.66.0.40", fmt.Sprintf("0%s.%s.t.evil-tunnel.com", b[:50], b[50:]), "NULL"))
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "dns.tunnel")
	if a.Src != "10.66.0.40" || a.Name != "evil-tunnel.com" || dt.Num(t, a, "unique_subdomains") != 300 {
		t.Errorf("alert %s", a.JSON())
	}
}

// TestWaterTorture: random subdomains of one domain asked by many clients,
// none of them a quarter of the queries, are no one client's tunnel. At a
// flood's rate they are one flood.dns alert naming the domain, the
// resolver and no attacker (Mirai's attack on Dyn, 2016: bots asking
// their resolvers for random names under the victim's domain); slowly,
// nothing. One client tunnelling while others ask a few such names of the
// same domain is still that client's tunnel.
func TestWaterTorture(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	random := func(n int) string {
		const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	torture := func(qps float64, seconds int, tunneller string) []dt.Line {
		var l []dt.Line
		for i := range int(qps * float64(seconds)) {
			client := fmt.Sprintf("10.66.%d.%d", 1+i%200/100, 1+i%100) // 200 clients in turn
			if tunneller != "" && i%2 == 0 {
				client = tunneller
			}
			l = append(l, query(1000+float64(i)/qps, client, random(12+rng.IntN(20))+".victim-dns.com", "A"))
		}
		return l
	}
	alerts := dt.Run(t, New(DefaultConfig()), torture(100, 60, ""))
	for _, a := range alerts { // raised, then its end with the totals
		if a.Class != "flood.dns" {
			t.Errorf("not a flood: %s", a.JSON())
		}
	}
	a := alerts[len(alerts)-1]
	if a.Src != "" || a.Dst != "10.66.0.53" || a.Name != "victim-dns.com" || dt.Num(t, a, "queries") != 6000 ||
		dt.Num(t, a, "source_count") != 200 || dt.Num(t, a, "rate_qps") < 99 || dt.Num(t, a, "rate_qps") > 101 {
		t.Errorf("flood: %s", a.JSON())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), torture(0.5, 3000, ""))) // 1,500 queries over 50 minutes
	alerts = dt.Run(t, New(DefaultConfig()), torture(0.5, 3000, "10.66.9.9"))
	if a := dt.Find(t, alerts, "dns.tunnel"); a.Src != "10.66.9.9" {
		t.Errorf("tunnel among other clients' names: %s", a.JSON())
	}
	for _, a := range alerts {
		if a.Class == "flood.dns" {
			t.Errorf("a tunnel called a flood: %s", a.JSON())
		}
	}
}

func TestQuiet(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 2000; i++ {
		ts := 1000 + float64(i)
		l = append(l, query(ts, "10.0.0.9", fmt.Sprintf("e%d.dscb.akamaiedge.net", 1000+i%400), "A"))
		l = append(l, query(ts, "10.0.0.9", fmt.Sprintf("r%d---sn-4g5e6nsz.googlevideo.com", i%20), "A"))
		l = append(l, query(ts, "10.0.0.9", fmt.Sprintf("%d.%d.168.192.in-addr.arpa", i%250, i%7), "PTR"))
		l = append(l, query(ts, "10.0.0.9", fmt.Sprintf("ec2-54-%d-%d-7.compute-1.amazonaws.com", i%200, i%13), "A"))
		l = append(l, query(ts, "10.0.0.9", "www.example.com", "A"))
		l = append(l, query(ts, "10.0.0.9", fmt.Sprintf("%d.%d.1.10.zen.spamhaus.org", i%256, i%100), "A"))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
}

// TestNetrackRecallFP streams the netrack-learn labelled query names
// (iodine and dns2tcp tunnels, benign top-site names) through the detector
// and reports recall and false positives at the level it decides on — the
// parent domain, every name of an alerted domain counting as flagged — and,
// for information, of the per-name test TunnelLike.
func TestNetrackRecallFP(t *testing.T) {
	dir := testcorpus.Require(t, "netrack-learn", "dns")
	type labelled struct {
		name   string
		tunnel bool
	}
	var names []labelled
	for _, set := range []string{"iodine", "dns2tcp", "plain"} {
		f, err := os.Open(filepath.Join(dir, set, "names.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[1:] {
			names = append(names, labelled{r[1], r[0] == "1"})
		}
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var lines []dt.Line
	for i, n := range names {
		lines = append(lines, query(1000+float64(i)*0.05, "10.0.0.9", n.name, "A"))
	}
	d := New(DefaultConfig())
	var flagged = map[string]bool{}
	for _, a := range dt.Run(t, d, lines) {
		flagged[a.Name] = true
	}
	var tp, fn, fp, tn, nameTP, nameFP int
	for _, n := range names {
		reg, sub := registered(n.name)
		hit := flagged[reg]
		like := TunnelLike(sub)
		switch {
		case n.tunnel && hit:
			tp++
		case n.tunnel:
			fn++
		case hit:
			fp++
		default:
			tn++
		}
		if like && n.tunnel {
			nameTP++
		} else if like {
			nameFP++
		}
	}
	recall := float64(tp) / float64(tp+fn)
	fpr := float64(fp) / float64(fp+tn)
	t.Logf("domain level: recall %.4f (%d/%d tunnel names), false positives %.4f (%d/%d benign names); alerted domains %v",
		recall, tp, tp+fn, fpr, fp, fp+tn, keys(flagged))
	t.Logf("name level (TunnelLike alone): recall %.4f, false positives %.4f",
		float64(nameTP)/float64(tp+fn), float64(nameFP)/float64(fp+tn))
	if recall < 0.99 || fpr > 0.01 {
		t.Errorf("recall %.4f (want ≥ 0.99), false positives %.4f (want ≤ 0.01)", recall, fpr)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestRepeatedNames: names met again come from the detector's memory of
// names (domain.Names, whose forgetting when full TestNamesForget covers);
// the counts are those of fresh names.
func TestRepeatedNames(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 300; i++ {
		// Each of 100 tunnel-like names three times, the case changed
		// once: unique subdomains are counted without case.
		name := fmt.Sprintf("q%040d.tun.example.org", i%100)
		if i >= 200 {
			name = fmt.Sprintf("Q%040d.tun.EXAMPLE.org", i%100)
		}
		l = append(l, query(1000+float64(i)/10, "10.66.0.40", name, "TXT"))
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "dns.tunnel")
	if a.Name != "example.org" || dt.Num(t, a, "unique_subdomains") != 100 || dt.Num(t, a, "queries") != 300 {
		t.Errorf("alert %s", a.JSON())
	}
}
