package dnstunnel

// Review (revD): tests that fail now and pass once the problem each names
// is fixed. Run: go test ./internal/detect/dnstunnel/ -run Review -v

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

func mdns(ts float64, client, name, qtype string) dt.Line {
	return dt.Rec("dns", map[string]any{"ts": ts, "uid": "M", "id.orig_h": client, "id.orig_p": 5353, "id.resp_h": "224.0.0.251", "id.resp_p": 5353,
		"proto": "udp", "query": name, "qtype_name": qtype})
}

func answered(ts float64, client, server, name, qtype, rcode string) dt.Line {
	return dt.Rec("dns", map[string]any{"ts": ts, "uid": "R", "id.orig_h": client, "id.orig_p": 40000, "id.resp_h": server, "id.resp_p": 53,
		"proto": "udp", "query": name, "qtype_name": qtype, "rcode_name": rcode})
}

func randFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// TestReviewDNSSDNotTunnel: DNS-SD over mDNS on an office LAN. Every
// service instance on the LAN is a name under _tcp.local ("<instance>.
// _<service>._tcp.local"), which Registered takes as one parent domain
// ("_tcp.local": "local" is not in the Public Suffix List, so the default
// rule makes it a TLD). Browsers ask SRV and TXT for each instance — both
// "tunnel record types" — and instance names are long (printer models,
// "Chromecast-<32 hex>"), so 40 advertised services (printers, AirPlay,
// Chromecasts, Sonos, Spotify Connect) make a dns.tunnel alert against
// "_tcp.local" within minutes. mDNS (.local, port 5353, multicast) is not
// a tunnel to anybody's server.
func TestReviewDNSSDNotTunnel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var l []dt.Line
	ts := 1000.0
	services := []string{"_ipp", "_ipps", "_airplay", "_raop", "_googlecast", "_spotify-connect", "_sonos", "_companion-link", "_hap", "_printer"}
	models := []string{"Brother HL-L2350DW series", "HP LaserJet Pro M404dn", "Living Room", "Meeting Room 3", "Kitchen", "Office TV",
		"EPSON ET-2850 Series", "Canon MF743C", "Sonos-Arc", "Reception iPad"}
	hosts := []string{"10.1.0.11", "10.1.0.12", "10.1.0.13", "10.1.0.14"}
	for i := 0; i < 40; i++ {
		svc := services[i%len(services)]
		var inst string
		switch svc {
		case "_googlecast":
			inst = "Chromecast-" + randFrom(rng, "0123456789abcdef", 32)
		case "_raop":
			inst = strings.ToUpper(randFrom(rng, "0123456789abcdef", 12)) + "@" + models[i%len(models)]
		default:
			inst = fmt.Sprintf("%s (%d)", models[i%len(models)], i)
		}
		h := hosts[i%len(hosts)]
		l = append(l, mdns(ts, h, svc+"._tcp.local", "PTR"))
		l = append(l, mdns(ts+0.1, h, inst+"."+svc+"._tcp.local", "SRV"))
		l = append(l, mdns(ts+0.2, h, inst+"."+svc+"._tcp.local", "TXT"))
		ts += 5
	}
	for _, a := range dt.Run(t, New(DefaultConfig()), l) {
		if a.Class == "dns.tunnel" {
			t.Errorf("mDNS service discovery reported as a tunnel: %s", a.JSON())
		}
	}
}

// TestReviewDNSBLNotTunnel: a mail server checking 40 senders an hour
// against Spamhaus's Data Query Service (the service Spamhaus asks users
// of public resolvers to use: "<reversed IP>.<access key>.zen.dq.spamhaus.net",
// and IPv6 senders by reversed nibbles) and SpamAssassin's ASN lookups for
// IPv6 senders (Team Cymru, "<32 nibbles>.origin6.asn.cymru.com"). The
// default allowlist holds spamhaus.org but not spamhaus.net, and no
// reversed-address shape is recognised: the mean subdomain length (≥ 30)
// makes both tunnels.
func TestReviewDNSBLNotTunnel(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	const key = "abcdefghijklmnopqrstuvwxyz"
	var l []dt.Line
	ts := 1000.0
	nibbles := func() string {
		var b []string
		for range 32 {
			b = append(b, string("0123456789abcdef"[rng.IntN(16)]))
		}
		return strings.Join(b, ".")
	}
	for i := 0; i < 40; i++ {
		ip := fmt.Sprintf("%d.%d.%d.%d", rng.IntN(254)+1, rng.IntN(256), rng.IntN(256), rng.IntN(223)+1)
		l = append(l, answered(ts, "192.0.2.25", "192.0.2.53", ip+"."+key+".zen.dq.spamhaus.net", "A", "NXDOMAIN"))
		l = append(l, answered(ts+1, "192.0.2.25", "192.0.2.53", nibbles()+".origin6.asn.cymru.com", "TXT", "NOERROR"))
		ts += 60
	}
	for _, a := range dt.Run(t, New(DefaultConfig()), l) {
		if a.Class == "dns.tunnel" {
			t.Errorf("DNS blocklist / IP-to-ASN lookups reported as a tunnel: %s", a.JSON())
		}
	}
}

// TestReviewHexTunnel: a tunnel carrying hex-encoded data in A queries,
// 12 bytes a query (24 hex characters and a 4-hex sequence number, as
// simple exfiltration tools and malware do), 200 queries in 10 minutes.
// TunnelLike never calls a lower-case hex subdomain of under 40 characters
// tunnel-like: its entropy cannot reach 3.8 bits (random hex of 28
// characters has about 3.6; the alphabet's maximum is 4.0) and it has no
// upper case for the "mixed" rule; the mean length (29) is under 30 and A
// is not a tunnel record type. Base32 of the same length is caught.
func TestReviewHexTunnel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var l []dt.Line
	like := 0
	for i := 0; i < 200; i++ {
		sub := fmt.Sprintf("%s.%04x", randFrom(rng, "0123456789abcdef", 24), i)
		if TunnelLike(sub) {
			like++
		}
		l = append(l, query(1000+float64(i)*3, "10.66.0.41", sub+".exfil-cdn.com", "A"))
	}
	for _, a := range dt.Run(t, New(DefaultConfig()), l) {
		if a.Class == "dns.tunnel" {
			return
		}
	}
	t.Errorf("hex tunnel of 200 unique 29-character subdomains (A queries) under exfil-cdn.com not reported; %d of 200 TunnelLike", like)
}

// TestReviewSlowTunnel: one 50-character base32 query every 3 minutes for
// a day (480 unique tunnel-like names under one domain, every one of them
// TunnelLike). The domain's counts start again once window_s (3600 s) has
// passed since its first query, so a tunnel slower than MinUnique (30) an
// hour is never reported, however long it runs.
func TestReviewSlowTunnel(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	var l []dt.Line
	like := 0
	for i := 0; i < 480; i++ {
		sub := randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 50)
		if TunnelLike(sub) {
			like++
		}
		l = append(l, query(1000+float64(i)*180, "10.66.0.42", sub+".t.slowdrip.org", "TXT"))
	}
	for _, a := range dt.Run(t, New(DefaultConfig()), l) {
		if a.Class == "dns.tunnel" {
			return
		}
	}
	t.Errorf("a day of a slow tunnel (480 queries, %d tunnel-like, TXT) under slowdrip.org not reported", like)
}

// TestReviewManyParents: one client spreads a tunnel over 12 parent
// domains (as tools with several configured domains, or malware rotating
// them, do), 25 unique 60-character base32 names each within the hour:
// 300 tunnel-like names from one client, every one of them TunnelLike, and
// no alert, since only per-parent counts are kept.
func TestReviewManyParents(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var l []dt.Line
	for i := 0; i < 300; i++ {
		sub := randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 60)
		l = append(l, query(1000+float64(i)*10, "10.66.0.43", fmt.Sprintf("%s.%s.d%02d-relay.net", sub[:50], sub[50:], i%12), "TXT"))
	}
	for _, a := range dt.Run(t, New(DefaultConfig()), l) {
		if a.Class == "dns.tunnel" {
			return
		}
	}
	t.Errorf("300 tunnel-like TXT queries from one client over 12 parent domains not reported")
}

// TestReviewEvidenceExplains: a tunnel over TXT with short (8 hex
// characters) names is reported by the record-type rule, rightly — but the
// alert cannot say why: the evidence has no "reason" (which of the three
// rules fired), carries the threshold of the tunnel-name share only (not
// the mean-length 30 or record-share 0.6 that decided), its "examples"
// are tunnel-like names only (none here: empty) and there is no entropy,
// so the analyst sees "0 tunnel-like names, no examples" on a tunnel alert.
func TestReviewEvidenceExplains(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	var l []dt.Line
	for i := 0; i < 60; i++ {
		l = append(l, query(1000+float64(i)*10, "10.66.0.44", randFrom(rng, "0123456789abcdef", 8)+".c2.example-ops.com", "TXT"))
	}
	var got *alert.Alert
	for _, a := range dt.Run(t, New(DefaultConfig()), l) {
		if a.Class == "dns.tunnel" {
			a := a
			got = &a
			break
		}
	}
	if got == nil {
		t.Fatal("no alert for 60 unique TXT names")
	}
	ev := got.Evidence
	var missing []string
	for _, k := range []string{"reason", "threshold_mean_length", "threshold_record_share"} {
		if _, ok := ev[k]; !ok {
			missing = append(missing, k)
		}
	}
	if ex, ok := ev["examples"].([]string); !ok || len(ex) == 0 {
		if ex, ok := ev["examples"].([]any); !ok || len(ex) == 0 {
			missing = append(missing, "examples (empty)")
		}
	}
	if len(missing) > 0 {
		t.Errorf("alert on %s (%v tunnel-like names): evidence lacks %v: %s", got.Name, ev["tunnel_like_names"], missing, got.JSON())
	}
}

// TestReviewPlainNamesNotTunnelLike: TunnelLike's entropy rule (≥ 20
// characters, ≥ 3.8 bits) is met by ordinary long host names, since the
// Shannon entropy of a string of 20–40 distinct-ish letters grows with its
// length, whatever it says: these, from real traffic (the corpus's RITA
// dns.log) and an internal naming scheme, are all TunnelLike today. Of the
// 1100 RITA names with a subdomain, 39 (3.5%) are; the netrack "0 false
// positives" was measured on 23 benign names with a subdomain. (The hex
// names TestReviewHexTunnel sends are not.)
func TestReviewPlainNamesNotTunnelLike(t *testing.T) {
	for _, sub := range []string{
		"report-000.daily-backup-status.eu-west.ops",
		"clickstream-killswitch-api.hd-personalization-prod.gcp",
		"attachments.prod.remote-settings.prod.webservices",
		"adrev-ingress.ad-rev-dev-production-us-east1.gke-marquis-james-svc",
		"default.cdn.prod.communities.salesforce",
		"resources.digital-cloud-prem",
	} {
		if TunnelLike(sub) {
			t.Errorf("TunnelLike(%q) = true (entropy %.2f bits): plain words", sub, entropyOf(sub))
		}
	}
}

func entropyOf(s string) float64 {
	var c [256]int
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '.' {
			c[s[i]]++
			n++
		}
	}
	h := 0.0
	for _, k := range c {
		if k > 0 {
			p := float64(k) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

// TestReviewNetrackBaseline (measuring, supporting evidence): the
// netrack-learn figure (recall 0.9996, 0 false positives) is also what a
// detector that knows nothing of encodings gets — "a parent domain with
// ≥ 30 unique subdomains is a tunnel" — because every tunnel name is under
// one domain (hidemyself.org) and 94% of the benign names have no
// subdomain at all, so they never reach the detector.
func TestReviewNetrackBaseline(t *testing.T) {
	dir := testcorpus.Require(t, "netrack-learn", "dns")
	subs := map[string]map[string]bool{}
	var benign, benignWithSub, tunnel int
	type row struct {
		reg    string
		tunnel bool
	}
	var rows []row
	for _, set := range []string{"iodine", "dns2tcp", "plain"} {
		f, err := os.Open(filepath.Join(dir, set, "names.csv"))
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := csv.NewReader(f).ReadAll()
		f.Close()
		for _, r := range recs[1:] {
			reg, sub := registered(r[1])
			rows = append(rows, row{reg, r[0] == "1"})
			if r[0] == "1" {
				tunnel++
			} else {
				benign++
				if sub != "" {
					benignWithSub++
				}
			}
			if sub != "" {
				if subs[reg] == nil {
					subs[reg] = map[string]bool{}
				}
				subs[reg][strings.ToLower(sub)] = true
			}
		}
	}
	var tp, fp, parents int
	for _, r := range rows {
		hit := len(subs[r.reg]) >= 30
		if hit && r.tunnel {
			tp++
		} else if hit {
			fp++
		}
	}
	tparents := map[string]bool{}
	for _, r := range rows {
		if r.tunnel {
			tparents[r.reg] = true
		}
	}
	parents = len(tparents)
	t.Logf("trivial '≥30 unique subdomains' rule: recall %.4f, false positives %.4f; tunnel names under %d parent domain(s) %v; benign names with a subdomain: %d of %d (%.1f%%)",
		float64(tp)/float64(tunnel), float64(fp)/float64(benign), parents, keys(tparents), benignWithSub, benign, 100*float64(benignWithSub)/float64(benign))
}
