package webscan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
)

// names returns n wordlist names under parent ("" for names of one
// label), one of them ("dev") where the wordlist has it.
func names(n int, parent string) []string {
	words := []string{"admin", "backup", "beta", "cdn", "demo", "files", "git", "img", "mail", "portal", "shop", "vpn"}
	out := make([]string, n)
	for i := range out {
		w := fmt.Sprintf("%s%d", words[i%len(words)], i)
		if i == n/3 {
			w = "dev"
		}
		if parent != "" {
			w += "." + parent
		}
		out[i] = w
	}
	return out
}

// vhostScan returns a client's requests for / under each name, one every
// gap seconds from ts: the names the server does not know get unknown(i)
// (a status and body length), "dev…" gets the staging site's page.
func vhostScan(ts, gap float64, client, agent string, hosts []string, unknown func(i int) (int, int)) []dt.Line {
	var l []dt.Line
	for i, h := range hosts {
		st, n := unknown(i)
		if h == "dev" || len(h) > 4 && h[:4] == "dev." {
			st, n = 200, 142
		}
		l = append(l, req{ts: ts + float64(i)*gap, client: client, host: h, uri: "/", status: st, agent: agent, length: n}.line())
	}
	return l
}

func TestVhostFires(t *testing.T) {
	defaultSite := func(int) (int, int) { return 200, 288 }
	tests := []struct {
		name, domain string
		lines        []dt.Line
		tool         string
	}{
		// gobuster vhost --append-domain: the default site answers every
		// unknown name with its own page.
		{"gobuster, default site", "lab.example", vhostScan(1000, 0.001, "10.66.0.66", "gobuster/3.5", names(950, "lab.example"), defaultSite), "gobuster"},
		// ffuf -H "Host: FUZZ.example.com" against a server that refuses
		// unknown names (421 Misdirected Request, or 404 of varying size).
		{"ffuf, refused", "example.com", vhostScan(1000, 0.01, "10.66.0.66", "Fuzz Faster U Fool v2.1.0", names(400, "example.com"), func(i int) (int, int) {
			return []int{421, 404}[i%2], 100 + i%7
		}), "ffuf"},
		// Names of one label (a wordlist of bare words), slowly.
		{"bare names, slow", "", vhostScan(1000, 2, "fd66::66", "curl/8.1", names(140, ""), defaultSite), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := dt.Find(t, dt.Run(t, New(DefaultConfig()), tc.lines), "scan.web")
			if a.Evidence["kind"] != "vhost" || a.Dst != "10.66.0.20" || a.Name != tc.domain {
				t.Fatalf("alert %v for %q, want the vhost scan of %q", a.Evidence["kind"], a.Name, tc.domain)
			}
			if got := dt.Num(t, a, "distinct_hosts"); got < 100 {
				t.Errorf("distinct hosts %v", got)
			}
			if tool, _ := a.Evidence["tool"].(string); tool != tc.tool {
				t.Errorf("tool %q, want %q", tool, tc.tool)
			}
			want := "dev"
			if tc.domain != "" {
				want += "." + tc.domain
			}
			if found, _ := a.Evidence["found_hosts"].([]string); !slices.Equal(found, []string{want}) {
				t.Errorf("found %v, want %s alone", found, want)
			}
		})
	}
}

// TestVhostFoundBeforeWatched: a name answered otherwise among the first
// ones, noted before the target is watched, is found too. The very first
// name is not counted: a target is noted at the first change of name,
// which the second request makes.
func TestVhostFoundBeforeWatched(t *testing.T) {
	for _, at := range []int{1, 2, 6} {
		hosts := names(300, "lab.example")
		i := slices.Index(hosts, "dev.lab.example")
		hosts[at], hosts[i] = hosts[i], hosts[at]
		a := dt.Find(t, dt.Run(t, New(DefaultConfig()), vhostScan(1000, 0.01, "10.66.0.66", "gobuster/3.5", hosts, func(int) (int, int) { return 200, 288 })), "scan.web")
		if found, _ := a.Evidence["found_hosts"].([]string); !slices.Equal(found, []string{"dev.lab.example"}) {
			t.Errorf("dev as name %d: found %v", at, found)
		}
		if got := dt.Num(t, a, "requests"); got != 299 {
			t.Errorf("dev as name %d: %v requests counted, want 299 (all but the first)", at, got)
		}
	}
}

// TestVhostQuiet: many names at one address that are no enumeration.
// Each case also runs with the one setting that keeps it quiet relaxed,
// and must then fire.
func TestVhostQuiet(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	// A proxy's client browsing a CDN's sites (one domain): each site its
	// own pages, answered in their own sizes.
	var cdn []dt.Line
	for i := range 3000 {
		host := fmt.Sprintf("d%d.cloudfront.example", rng.IntN(400))
		uri := fmt.Sprintf("http://%s/asset%d.js", host, rng.IntN(50))
		cdn = append(cdn, req{ts: 1000 + float64(i)*0.05, client: "10.66.0.30", host: host, uri: uri, status: 200, agent: "Firefox", length: 1000 + rng.IntN(90000)}.line())
	}
	// The same sites' front pages, each its own.
	var fronts []dt.Line
	for i, h := range names(400, "cloudfront.example") {
		fronts = append(fronts, req{ts: 1000 + float64(i)*0.05, client: "10.66.0.30", host: h, uri: "/", status: 200, agent: "Firefox", length: 5000 + i}.line())
	}
	// Tunnels through a proxy to many names of one domain.
	var tunnels []dt.Line
	for i, h := range names(400, "tracker.example") {
		tunnels = append(tunnels, req{ts: 1000 + float64(i)*0.05, client: "10.66.0.30", host: h, uri: h + ":443", status: 200, agent: "Firefox", method: "CONNECT"}.line())
	}
	tests := []struct {
		name  string
		lines []dt.Line
		relax func(*Config)
	}{
		{"cdn browsing: many paths", cdn, nil},
		{"front pages: each its own answer", fronts, func(c *Config) { c.FailShare = 0.001 }},
		{"tunnels", tunnels, nil},
		{"fewer names than the threshold", vhostScan(1000, 0.01, "10.66.0.66", "gobuster/3.5", names(80, "lab.example"), func(int) (int, int) { return 200, 288 }),
			func(c *Config) { c.MinHosts = 50 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dt.Quiet(t, dt.Run(t, New(DefaultConfig()), tc.lines))
			if tc.relax != nil {
				cfg := DefaultConfig()
				tc.relax(&cfg)
				dt.Find(t, dt.Run(t, New(cfg), tc.lines), "scan.web")
			}
		})
	}
}

// TestVhostInterleaved: the scanner's requests mixed with other clients'
// (a busy server) are still found, once enough of them follow one another.
func TestVhostInterleaved(t *testing.T) {
	scan := vhostScan(1000, 0.01, "10.66.0.66", "gobuster/3.5", names(600, "lab.example"), func(int) (int, int) { return 200, 288 })
	rng := rand.New(rand.NewPCG(3, 3))
	var l []dt.Line
	for i, s := range scan {
		l = append(l, s)
		if rng.IntN(2) == 0 {
			l = append(l, req{ts: 1000 + float64(i)*0.01, client: fmt.Sprintf("10.66.1.%d", rng.IntN(200)), host: "www.lab.example", uri: "/", status: 200, agent: "Firefox", length: 288}.line())
		}
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "scan.web")
	if a.Src != "10.66.0.66" || a.Evidence["kind"] != "vhost" {
		t.Errorf("alert from %s (%v)", a.Src, a.Evidence["kind"])
	}
}

// TestVhostBounded: a flood of clients each switching names a few times
// never holds more than MaxTargets suspects and vhost targets.
func TestVhostBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxTargets = 500
	for _, n := range []int{3, watchAt + 2} {
		d := New(cfg)
		var l []dt.Line
		for i := range 3000 {
			client := fmt.Sprintf("10.1.%d.%d", i/250, 1+i%250)
			for j := range n {
				l = append(l, req{ts: 1000 + float64(i)/100, client: client, host: fmt.Sprintf("n%d.x%d.example", j, i), uri: "/", status: 200, length: 10}.line())
			}
		}
		dt.Quiet(t, dt.Run(t, d, l))
		if len(d.vsuspects) > cfg.MaxTargets || len(d.vtargets) > cfg.MaxTargets || len(d.clients) > 2*cfg.MaxTargets {
			t.Errorf("%d names each: %d suspects, %d targets, %d clients held", n, len(d.vsuspects), len(d.vtargets), len(d.clients))
		}
	}
}

func TestParentOf(t *testing.T) {
	for host, want := range map[string]string{
		"dev.lab.example": "lab.example", "Dev.Lab.Example:8080": "Lab.Example", "intranet": "", "a.b.c.example": "b.c.example",
		"10.66.0.10": "-", "10.66.0.10:80": "-", "[fd66::10]:80": "-", "": "-", ":80": "-", "1.2.3.4.": "-", "dev.lab.example.": "lab.example",
		"host1.example": "example", "9": "-", "x.9a": "9a",
	} {
		p, ok := parentOf([]byte(host))
		got := string(p)
		if !ok {
			got = "-"
		}
		if got != want {
			t.Errorf("parentOf(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestHashLower(t *testing.T) {
	for _, name := range []string{"", "Dev.LAB.example", "already.lower", "MiXeD-09.Z"} {
		if got, want := hashLower([]byte(name)), domain.Hash(strings.ToLower(name)); got != want {
			t.Errorf("hashLower(%q) = %x, want %x", name, got, want)
		}
	}
}

func TestAnswerTally(t *testing.T) {
	var tl answerTally
	for i := range 1000 {
		a := answer{200, 288}
		if i%3 == 0 {
			a = answer{status(404), int64(i)} // all different
		}
		tl.add(a)
	}
	if lead, n := tl.leader(); n == 0 || lead != (answer{200, 288}) {
		t.Errorf("leader %v (count %d), want 200/288", lead, n)
	}
}
