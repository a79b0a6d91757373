package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/intel"
)

// TestIOCFeeds: the intel-ioc feeds load with Vigil's feed readers, every
// value an indicator, hundreds of them; the scenario's domain, URL and
// address are among them, and nothing else the lab's traffic uses is (its
// hosts' addresses, the outside server's IPv6 address that the benign
// ping6 reaches, the lab's DNS names): only the scenario matches. The
// feeds are the same at every run.
func TestIOCFeeds(t *testing.T) {
	feeds := iocFeeds()
	if !reflect.DeepEqual(feeds, iocFeeds()) {
		t.Error("the feeds differ between runs")
	}
	dir := t.TempDir()
	set := intel.NewSet()
	want := map[string]int{"urlhaus.csv": iocUnrelatedURLs + 1, "feodo-ipblocklist.txt": iocUnrelatedIPs + 1,
		"malware-domains.hosts": iocUnrelatedDomains + 1}
	for _, f := range feeds {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := intel.Load(set, p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Added != want[f.name] || r.Rejected != 0 {
			t.Errorf("%s: %d indicators, %d rejected; want %d, 0", f.name, r.Added, r.Rejected, want[f.name])
		}
	}
	if ind := set.Domain(iocDomain); ind == nil || ind.Feed != "malware-domains.hosts" {
		t.Errorf("domain %s: %+v", iocDomain, ind)
	}
	if ind := set.URL(iocDomain, iocPath); ind == nil || ind.Feed != "urlhaus.csv" || ind.Description != "malware_download" {
		t.Errorf("URL %s%s: %+v", iocDomain, iocPath, ind)
	}
	if ind := set.Addr(hostExt.IPv4()); ind == nil || ind.Feed != "feodo-ipblocklist.txt" {
		t.Errorf("address %s: %+v", hostExt.IPv4(), ind)
	}
	for _, h := range allHosts {
		for _, a := range []string{h.IPv6().String(), h.SLAAC().String(), h.LinkLocal().String(), h.IPv4().String()} {
			if a == hostExt.IPv4().String() {
				continue
			}
			if ind := set.Addr(mustAddr(t, a)); ind != nil {
				t.Errorf("lab address %s (%s) is listed: %+v", a, h.Name, ind)
			}
		}
	}
	names := []string{c2Name, "x." + tunnelDomain, ampName, "www." + lanDomain, lanDomain, "example", "fileshare-cdn.example"}
	for _, n := range names {
		if ind := set.Domain(n); ind != nil {
			t.Errorf("lab name %s is listed: %+v", n, ind)
		}
	}
	for _, f := range feeds {
		if strings.Contains(f.content, "vigil-lab-") {
			t.Errorf("%s names the lab's work directory", f.name)
		}
	}
}

// TestWriteFeeds: a scenario's feeds go into DIR/SCENARIO.intel/, named
// relative to DIR, replacing an earlier run's; a scenario without feeds
// writes nothing.
func TestWriteFeeds(t *testing.T) {
	dir := t.TempDir()
	s := &Scenario{Name: "x", feeds: func() []feedFile { return []feedFile{{"a.txt", "192.0.2.1\n"}, {"b.csv", "ip\n192.0.2.2\n"}} }}
	stale := filepath.Join(dir, "x.intel", "old.txt")
	os.MkdirAll(filepath.Dir(stale), 0o755)
	os.WriteFile(stale, []byte("192.0.2.3\n"), 0o644)
	rel, err := writeFeeds(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rel, []string{"x.intel/a.txt", "x.intel/b.csv"}) {
		t.Errorf("paths %q", rel)
	}
	for _, r := range rel {
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("an earlier run's feed is left")
	}
	if rel, err := writeFeeds(dir, &Scenario{Name: "y"}); rel != nil || err != nil {
		t.Errorf("no feeds: %q, %v", rel, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.intel")); err == nil {
		t.Error("a feed directory for a scenario without feeds")
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
