package webscan

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// req is one http.log record from client to 10.66.0.20:80 for host and
// uri, answered status (0: no reply).
type req struct {
	ts     float64
	client string
	host   string
	uri    string
	status int
	agent  string
	length int    // response_body_len, when the status is set
	method string // "" for GET
}

func (q req) line() dt.Line {
	method := cmp.Or(q.method, "GET")
	f := map[string]any{"ts": q.ts, "uid": fmt.Sprintf("C%d", int(q.ts*1000)), "id.orig_h": q.client, "id.orig_p": 40000,
		"id.resp_h": "10.66.0.20", "id.resp_p": 80, "method": method, "host": q.host, "uri": q.uri, "user_agent": q.agent}
	if q.status != 0 {
		f["status_code"], f["response_body_len"] = q.status, q.length
	}
	return dt.Rec("http", f)
}

// wordlist is a scanner's list: n paths, every ninth one a hit.
func wordlist(n int) []string {
	words := []string{"admin", "backup", "cgi-bin", "config", "db", "old", "test", "tmp", "uploads", ".git/HEAD", "wp-login.php", "phpmyadmin"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("/%s%d", words[i%len(words)], i)
	}
	return out
}

// scan returns a client's requests for paths, one every gap seconds from
// ts, answered 200 for every ninth (from the ninth) and miss (404, 403 …)
// for the others.
func scan(ts, gap float64, client, agent string, paths []string, miss int) []dt.Line {
	return answered(ts, gap, client, agent, paths, func(i int) int {
		if i%9 == 8 {
			return 200
		}
		return miss
	})
}

// mostly returns a client's requests for paths answered st, but every
// twentieth answered 404.
func mostly(ts, gap float64, client, agent string, paths []string, st int) []dt.Line {
	return answered(ts, gap, client, agent, paths, func(i int) int {
		if i%20 == 0 {
			return 404
		}
		return st
	})
}

// answered returns a client's requests for paths, one every gap seconds
// from ts, the i-th answered status(i).
func answered(ts, gap float64, client, agent string, paths []string, status func(int) int) []dt.Line {
	var l []dt.Line
	for i, p := range paths {
		st := status(i)
		l = append(l, req{ts + float64(i)*gap, client, "www.lab", p, st, agent, 0, ""}.line())
	}
	return l
}

func TestFires(t *testing.T) {
	tests := []struct {
		name, src string
		lines     []dt.Line
		tool      string
	}{
		{"dirb wordlist", "10.66.0.66", scan(1000, 0.01, "10.66.0.66", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", wordlist(4600), 404), ""},
		{"gobuster, forbidden", "10.66.0.66", scan(1000, 0.005, "10.66.0.66", "gobuster/3.5", wordlist(1000), 403), "gobuster"},
		{"nikto, slow", "203.0.113.9", scan(1000, 1, "203.0.113.9", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)", wordlist(250), 404), "Nikto"},
		{"just past the threshold", "fd66::66", scan(1000, 2, "fd66::66", "curl/8.1", wordlist(120), 404), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig()), tc.lines)
			a := dt.Find(t, alerts, "scan.web")
			if a.Src != tc.src || a.Dst != "10.66.0.20" || a.Name != "www.lab" {
				t.Errorf("alert %s → %s (%s), want the scanner and the site", a.Src, a.Dst, a.Name)
			}
			if got := dt.Num(t, a, "distinct_paths"); got < 100 {
				t.Errorf("distinct paths %v", got)
			}
			if tool, _ := a.Evidence["tool"].(string); tool != tc.tool {
				t.Errorf("tool %q, want %q", tool, tc.tool)
			}
			found, _ := a.Evidence["found_paths"].([]string)
			if len(found) == 0 || found[0] != "/uploads8" {
				t.Errorf("found paths %v, want the hits, /uploads8 first", found)
			}
		})
	}
}

// TestQuiet: what looks like a scan in part. Each case also runs with the
// one setting that keeps it quiet relaxed, and must then fire: the test
// shows which rule holds it back.
func TestQuiet(t *testing.T) {
	browsing := func() []dt.Line {
		var l []dt.Line
		for i := range 400 { // a site's pages and assets, some missing
			st := 200
			if i%20 == 0 {
				st = 404
			}
			l = append(l, req{1000 + float64(i), "10.66.0.30", "www.lab", fmt.Sprintf("/page%d", i%80), st, "Firefox", 0, ""}.line())
		}
		return l
	}
	tests := []struct {
		name  string
		lines []dt.Line
		relax func(*Config)
	}{
		// A crawler (a search engine, a link checker) asks for many paths
		// and finds them.
		{"crawler", mostly(1000, 0.1, "10.66.0.40", "Googlebot", wordlist(2000), 200), func(c *Config) { c.FailShare = 0.01 }},
		// A page with broken links: a few missing paths, asked again.
		{"broken links", browsing(), func(c *Config) { c.MinPaths = 20; c.FailShare = 0.05 }},
		// A monitor asks for one missing page every second.
		{"health check of a missing page", func() []dt.Line {
			var l []dt.Line
			for i := range 2000 {
				l = append(l, req{1000 + float64(i), "10.66.0.50", "www.lab", "/healthz?t=" + fmt.Sprint(i), 404, "kube-probe", 0, ""}.line())
			}
			return l
		}(), func(c *Config) { c.MinPaths = 1 }},
		// Guessing passwords for many protected paths is brute force.
		{"credentials asked", mostly(1000, 0.01, "10.66.0.66", "hydra", wordlist(1000), 401), func(c *Config) { c.FailShare = 0.01 }},
		// A server in trouble answers 5xx.
		{"server errors", mostly(1000, 0.01, "10.66.0.66", "app", wordlist(1000), 503), func(c *Config) { c.FailShare = 0.01 }},
		// A scan slower than the window: 300 paths over 50 minutes.
		{"slower than the window", scan(1000, 10, "10.66.0.66", "dirb", wordlist(300), 404), func(c *Config) { c.Window = 3600 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dt.Quiet(t, dt.Run(t, New(DefaultConfig()), tc.lines))
			cfg := DefaultConfig()
			tc.relax(&cfg)
			dt.Find(t, dt.Run(t, New(cfg), tc.lines), "scan.web")
		})
	}
}

// TestProxyClientsApart: through a proxy, every client's requests go to
// the proxy's address; the Host header tells the sites apart, so a client
// browsing many sites with some refusals is no scan of the proxy, and a
// scan of one site through it is still found.
func TestProxyClientsApart(t *testing.T) {
	var l []dt.Line
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 3000 {
		site := fmt.Sprintf("site%d.example", rng.IntN(300))
		st := []int{200, 200, 200, 404, 403}[rng.IntN(5)]
		l = append(l, req{1000 + float64(i)*0.05, "10.66.0.30", site, fmt.Sprintf("http://%s/p%d", site, i), st, "Firefox", 0, ""}.line())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
	var abs []string
	for _, p := range wordlist(500) {
		abs = append(abs, "http://target.example"+p+"?x=1")
	}
	scanLines := scan(1000, 0.05, "10.66.0.30", "Firefox", abs, 404)
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), slices.Concat(l, scanLines)), "scan.web")
	if a.Name != "www.lab" {
		t.Errorf("alert for %q", a.Name)
	}
	if found := a.Evidence["found_paths"].([]string); found[0] != "/uploads8" {
		t.Errorf("found %v: absolute URIs not cut to their path", found)
	}
}

// TestReportedOnceAWhile: a long scan is one alert when it crosses, then
// one every Report seconds while it goes on, and a last one when it ends.
func TestReportedOnceAWhile(t *testing.T) {
	alerts := dt.Run(t, New(DefaultConfig()), scan(1000, 0.5, "10.66.0.66", "ffuf", wordlist(4000), 404)) // 2000 s
	n := 0
	for _, a := range alerts {
		if a.Class == "scan.web" {
			n++
		}
	}
	if n < 3 || n > 6 {
		t.Errorf("%d alerts over a 2000 s scan, want 3 to 6", n)
	}
	last := alerts[len(alerts)-1]
	if got := dt.Num(t, last, "requests"); got != 4000 {
		t.Errorf("the last alert counts %v requests, want 4000", got)
	}
}

// TestBounded: a flood of clients each refused a few times never holds
// more than MaxTargets suspects and MaxTargets targets.
func TestBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxTargets = 1000
	for _, refusals := range []int{1, watchAt} {
		d := New(cfg)
		var l []dt.Line
		for i := range 5000 {
			for j := range refusals {
				l = append(l, req{1000 + float64(i)/100, fmt.Sprintf("10.1.%d.%d", i/250, 1+i%250), "www.lab", fmt.Sprint("/x", j), 404, "", 0, ""}.line())
			}
		}
		dt.Quiet(t, dt.Run(t, d, l))
		if len(d.suspects) > cfg.MaxTargets || len(d.targets) > cfg.MaxTargets || refusals == watchAt && d.Evicted == 0 {
			t.Errorf("%d refusals each: %d suspects, %d targets held, %d evicted", refusals, len(d.suspects), len(d.targets), d.Evicted)
		}
	}
}

// TestSuspectsCounted: a target's refusals before it is watched count in
// its scan, paths and all: a scan of exactly MinPaths paths is one.
func TestSuspectsCounted(t *testing.T) {
	cfg := DefaultConfig()
	alerts := dt.Run(t, New(cfg), scan(1000, 0.1, "10.66.0.66", "dirb", wordlist(cfg.MinPaths+3), 404))
	a := dt.Find(t, alerts, "scan.web")
	if dt.Num(t, a, "requests") != float64(cfg.MinPaths+3) {
		t.Errorf("requests %v, want %d", a.Evidence["requests"], cfg.MinPaths+3)
	}
}

// TestRITAProxyQuiet: RITA's proxy_rolling http.log (a Squid proxy's
// clients and its own fetches, two hours) holds no scan.
func TestRITAProxyQuiet(t *testing.T) {
	dir := testcorpus.Require(t, "rita", "test_data", "proxy_rolling")
	files, _ := filepath.Glob(filepath.Join(dir, "http.*.log.gz"))
	var l []dt.Line
	for _, f := range files {
		l = append(l, dt.ZeekTSV(t, f, "http")...)
	}
	if len(l) < 2000 {
		t.Fatalf("%d http records", len(l))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
}

func TestToolOf(t *testing.T) {
	for agent, want := range map[string]string{
		"Fuzz Faster U Fool v2.1.0-dev": "ffuf",
		"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)": "Nmap NSE",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64)":                                       "",
		"": "",
	} {
		if got := toolOf(agent); got != want {
			t.Errorf("toolOf(%q) = %q, want %q", agent, got, want)
		}
	}
}

var _ alert.Emit = func(alert.Alert) {}
