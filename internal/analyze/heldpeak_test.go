package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/synth"
)

// writeFlood writes synth.WriteFlood's capture of cfg to path.
func writeFlood(t *testing.T, path string, cfg synth.FloodConfig) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synth.WriteFlood(f, cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSweepsHoldLittle: a sweep that ends many connections at once — the
// last flush of a run, or a flood's connections whose timers run out
// together — hands their records on as the flow table ends them, in UID
// order, instead of the writer holding them all until the sweep is over
// to put them in that order: with one worker its peak stays a small part
// of what the sweep writes. With several, it holds what the worker ahead
// has made past the one behind (as much as their paces differ), and the
// logs are those of one worker.
func TestSweepsHoldLittle(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// 40,000 packets in 0.4 s: a SYN or a DNS query each, every
	// connection still open when the capture ends.
	flood := filepath.Join(dir, "flood.pcap")
	writeFlood(t, flood, synth.FloodConfig{Seed: 1, Packets: 40000, Rate: 100000, Start: start})
	// One packet ten minutes later: the sweep before it ends them all.
	late := filepath.Join(dir, "late.pcap")
	writeFlood(t, late, synth.FloodConfig{Seed: 2, Packets: 1, Start: start.Add(10 * time.Minute)})
	for _, c := range []struct {
		name   string
		inputs []string
	}{
		{"last flush", []string{flood}},
		{"one sweep", []string{flood, late}},
	} {
		cfg := DefaultConfig()
		cfg.Workers = 1
		sum, one := runTo(t, cfg, c.inputs...)
		conns, dns := logSize(t, one, "conn"), logSize(t, one, "dns")
		if sum.Connections < 30000 || conns+dns < 16<<20 {
			t.Fatalf("%s: %d connections, %d bytes of conn.log and dns.log: the flood is too small to tell", c.name, sum.Connections, conns+dns)
		}
		if sum.HeldPeak == 0 || sum.HeldPeak > (conns+dns)/16 {
			t.Errorf("%s: the writer held up to %d bytes of records, for %d bytes of conn.log and dns.log", c.name, sum.HeldPeak, conns+dns)
		}
		cfg.Workers = 2
		sum2, two := runTo(t, cfg, c.inputs...)
		for _, log := range []string{"conn", "dns"} {
			a, errA := os.ReadFile(filepath.Join(one, log+".log"))
			b, errB := os.ReadFile(filepath.Join(two, log+".log"))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("%s: %s.log differs between one worker and two (%v %v)", c.name, log, errA, errB)
			}
		}
		t.Logf("%s: held at most %d bytes with one worker, %d with two; conn.log and dns.log %d bytes", c.name, sum.HeldPeak, sum2.HeldPeak, conns+dns)
	}
}

// logSize is the size of dir's NAME.log.
func logSize(t *testing.T, dir, name string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
