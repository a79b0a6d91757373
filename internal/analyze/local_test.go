package analyze

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// conn.log says of each end whether it is local, as Zeek does by default:
// its private address space (RFC 1918, the documentation blocks, 6to4 of
// them …) and the site's own networks (SiteNets, Zeek's Site::local_nets).
func TestConnLocalOrigResp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := capture.NewWriter(bw, decode.LinkRaw, 65535)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	pkt := make([]byte, 40)
	pairs := [][2]uint32{
		{0x0a010203, 0x5db8d822}, // 10.1.2.3 → 93.184.216.34
		{0x5db8d822, 0x8d2a4001}, // 93.184.216.34 → 141.42.64.1 (the site's)
		{0x08080808, 0x5db8d822}, // 8.8.8.8 → 93.184.216.34
	}
	for i, p := range pairs {
		buildSYN(pkt, p[0], p[1], 40000+uint16(i), 443, 1)
		if err := w.WritePacket(ts+int64(i)*1000, pkt, len(pkt)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	want := map[string][2]bool{"10.1.2.3": {true, false}, "93.184.216.34": {false, true}, "8.8.8.8": {false, false}}
	cfg := DefaultConfig()
	cfg.Workers, cfg.SiteNets = 1, []string{"141.42.0.0/16"}
	_, out := runTo(t, cfg, path)
	conns := readLog(t, filepath.Join(out, "conn.log"))
	if len(conns) != len(want) {
		t.Fatalf("%d conns, want %d", len(conns), len(want))
	}
	for _, c := range conns {
		w := want[c["id.orig_h"].(string)]
		if c["local_orig"] != w[0] || c["local_resp"] != w[1] {
			t.Errorf("%v → %v: local_orig %v local_resp %v, want %v", c["id.orig_h"], c["id.resp_h"], c["local_orig"], c["local_resp"], w)
		}
	}

	cfg.SiteNets = []string{"141.42.0.0/33"}
	if err := Check(cfg, []string{path}); err == nil {
		t.Error("a bad site network was accepted")
	}
}
