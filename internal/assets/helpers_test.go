package assets

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newInv returns an inventory with the defaults, changed by set.
func newInv(t testing.TB, set func(*Config)) *Inventory {
	t.Helper()
	cfg := DefaultConfig()
	if set != nil {
		set(&cfg)
	}
	inv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// feed gives the inventory lines of one log.
func feed(inv *Inventory, log string, lines ...string) {
	for _, l := range lines {
		inv.Record(log, []byte(l))
	}
}

// feedDir gives the inventory every DIR/*.log, conn.log last (as the
// pipeline writes a connection's record after its protocol records).
func feedDir(t testing.TB, inv *Inventory, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Base(f) != "conn.log" {
			feedFile(t, inv, f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "conn.log")); err == nil {
		feedFile(t, inv, filepath.Join(dir, "conn.log"))
	}
}

func feedFile(t testing.TB, inv *Inventory, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log := strings.TrimSuffix(filepath.Base(path), ".log")
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		inv.Record(log, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// host returns the host with key or address k.
func host(t testing.TB, hosts []Host, k string) *Host {
	t.Helper()
	for i := range hosts {
		h := &hosts[i]
		if h.Key == k || h.MAC == k {
			return h
		}
		for _, a := range h.Addrs {
			if a.Addr == k {
				return h
			}
		}
	}
	var keys []string
	for _, h := range hosts {
		keys = append(keys, h.Key+"["+addrList(&h)+"]")
	}
	t.Fatalf("no host %s among %s", k, strings.Join(keys, " "))
	return nil
}

func hasName(h *Host, name, source string) bool {
	for _, n := range h.Names {
		if strings.EqualFold(n.Name, name) && (source == "" || n.Source == source) {
			return true
		}
	}
	return false
}

func hasRole(h *Host, role string) bool {
	for _, r := range h.Roles {
		if r.Role == role {
			return true
		}
	}
	return false
}

func hasService(h *Host, proto string, port uint16) *Service {
	for i := range h.Services {
		if h.Services[i].Proto == proto && h.Services[i].Port == port {
			return &h.Services[i]
		}
	}
	return nil
}

func guessValue(g *Guess) string {
	if g == nil {
		return ""
	}
	return g.Value
}

func findingsOf(inv *Inventory, kind string) []Finding {
	var out []Finding
	for _, f := range inv.Findings() {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
