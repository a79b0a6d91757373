package analyze

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"github.com/vigil-nsm/vigil/internal/record"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/synth"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// writeSynth makes a synthetic capture in t's temp dir.
func writeSynth(t testing.TB, packets, flows int) (string, synth.Stats) {
	t.Helper()
	cfg := synth.DefaultConfig()
	cfg.Packets, cfg.Flows = packets, flows
	path := filepath.Join(t.TempDir(), "sample.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := synth.Write(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, st
}

func runTo(t testing.TB, cfg Config, inputs ...string) (*Summary, string) {
	t.Helper()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(context.Background(), cfg, inputs)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum, cfg.OutDir
}

// readLog returns the JSON objects of a log, one per line.
func readLog(t testing.TB, path string) []map[string]any {
	t.Helper()
	out, err := record.ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunSampleWritesConnLog(t *testing.T) {
	path, st := writeSynth(t, 20000, 1500)
	cfg := DefaultConfig()
	cfg.Workers = 2
	sum, dir := runTo(t, cfg, path)
	if sum.Packets != uint64(st.Packets) {
		t.Errorf("summary packets = %d, capture has %d", sum.Packets, st.Packets)
	}
	if sum.InternalErrs != 0 {
		t.Errorf("internal errors: %d", sum.InternalErrs)
	}
	conns := readLog(t, filepath.Join(dir, "conn.log"))
	if uint64(len(conns)) != sum.Connections {
		t.Errorf("conn.log has %d lines, summary says %d connections", len(conns), sum.Connections)
	}
	if len(conns) < st.Flows/2 {
		t.Errorf("only %d connections for %d synthesised flows", len(conns), st.Flows)
	}
	states := map[string]int{}
	for _, c := range conns {
		for _, f := range []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "conn_state", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"} {
			if _, ok := c[f]; !ok {
				t.Fatalf("conn record lacks %q: %v", f, c)
			}
		}
		states[c["conn_state"].(string)]++
	}
	if states["SF"] == 0 {
		t.Errorf("no SF connections in a sample full of complete sessions: %v", states)
	}
	if sum.IPv6Packets == 0 || sum.IPv4Packets == 0 {
		t.Errorf("expected both IPv4 and IPv6 in the sample: v4 %d v6 %d", sum.IPv4Packets, sum.IPv6Packets)
	}
	var out bytes.Buffer
	sum.Print(&out)
	for _, want := range []string{"Packets", "IPv4", "Protocols", "Flows", "Top talkers", "Anomalies", "evicted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// logSet returns every record of a log re-encoded without key order
// differences, sorted: the set of records.
func logSet(t testing.TB, path string) []string {
	var out []string
	for _, c := range readLog(t, path) {
		b, _ := json.Marshal(c) // map keys are sorted by encoding/json
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// sameLogsWhateverTheWorkers analyses path with several worker counts and
// requires every log to be the same, byte for byte: records are written in
// capture-event order (order.go), whatever worker made them.
func sameLogsWhateverTheWorkers(t *testing.T, path string) {
	t.Helper()
	var dirs []string
	for _, n := range []int{1, 3, 8} {
		cfg := DefaultConfig()
		cfg.Workers = n
		_, dir := runTo(t, cfg, path)
		dirs = append(dirs, dir)
	}
	logs, _ := filepath.Glob(filepath.Join(dirs[0], "*.log"))
	if len(logs) < 2 || len(logSet(t, filepath.Join(dirs[0], "conn.log"))) == 0 {
		t.Fatalf("no connections written: %v", logs)
	}
	for _, l := range logs {
		name := filepath.Base(l)
		want := logSet(t, l)
		for _, d := range dirs[1:] {
			a, errA := os.ReadFile(l)
			b, errB := os.ReadFile(filepath.Join(d, name))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs between worker counts (%v %v)", name, errA, errB)
			}
			got := logSet(t, filepath.Join(d, name))
			if len(got) != len(want) {
				t.Fatalf("%s: %d records with 1 worker, %d with more", name, len(want), len(got))
			}
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("%s: a record differs between worker counts:\n%s\n%s", name, want[j], got[j])
				}
			}
		}
	}
}

func TestSameRecordsWhateverTheWorkers(t *testing.T) {
	path, _ := writeSynth(t, 30000, 2000)
	sameLogsWhateverTheWorkers(t, path)
}

// DHCP records aggregate several connections (an exchange spans ports and
// broadcast addresses): they too must not depend on the worker count.
func TestDHCPRecordsWhateverTheWorkers(t *testing.T) {
	path := testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "dhcp", "dhcp_flood.pcap")
	sameLogsWhateverTheWorkers(t, path)
}

// SCTP connections are keyed by addresses only (unknown_transport, as
// Zeek): their packets must reach one worker whatever their ports.
func TestSCTPRecordsWhateverTheWorkers(t *testing.T) {
	path := testcorpus.Require(t, "tcpdump", "tests", "forces2.pcap")
	sameLogsWhateverTheWorkers(t, path)
}

// synFlood writes n SYNs from random sources to one server as raw IPv4.
func synFlood(t testing.TB, n int) string {
	path := filepath.Join(t.TempDir(), "flood.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := capture.NewWriter(bw, decode.LinkRaw, 65535)
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, 40)
	x := uint32(2463534242)
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		buildSYN(pkt, x, 0xc0000201, uint16(x>>16)|1024, 80, x)
		if err := w.WritePacket(ts+int64(i)*10_000, pkt, len(pkt)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func buildSYN(b []byte, src, dst uint32, sport, dport uint16, seq uint32) {
	clear(b)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], 40)
	b[8] = 64
	b[9] = decode.ProtoTCP
	binary.BigEndian.PutUint32(b[12:], src)
	binary.BigEndian.PutUint32(b[16:], dst)
	setIPv4Checksum(b)
	tcp := b[20:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4
	tcp[13] = decode.TCPSyn
	binary.BigEndian.PutUint16(tcp[14:], 1024)
}

func TestRandomSourceSYNFloodStaysUnderTheCap(t *testing.T) {
	const packets, maxFlows = 200000, 8192
	path := synFlood(t, packets)
	cfg := DefaultConfig()
	cfg.Workers = 2
	cfg.MaxFlows = maxFlows
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, _ := runTo(t, cfg, path)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if sum.FlowsMaxLive > maxFlows {
		t.Errorf("peak tracked flows %d exceeds the cap %d", sum.FlowsMaxLive, maxFlows)
	}
	if sum.FlowsEvicted == 0 {
		t.Errorf("a %d-source flood against a %d-flow cap evicted nothing", packets, maxFlows)
	}
	if sum.Connections < packets*9/10 {
		t.Errorf("only %d of ~%d flood connections were logged", sum.Connections, packets)
	}
	t.Logf("flood: %d packets, %d connections, %d evicted, peak %d tracked, heap %d MiB after",
		sum.Packets, sum.Connections, sum.FlowsEvicted, sum.FlowsMaxLive, after.HeapInuse>>20)
	if after.HeapInuse > 512<<20 {
		t.Errorf("heap in use %d MiB after a capped flood", after.HeapInuse>>20)
	}
}

func TestTruncatedCaptureKeepsRecordsAndNamesOffset(t *testing.T) {
	path, _ := writeSynth(t, 5000, 300)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(context.Background(), cfg, []string{cut})
	var cerr *capture.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want a *capture.Error for a truncated file, got %v", err)
	}
	if cerr.File == "" || cerr.Offset <= 0 || !strings.Contains(err.Error(), "cut.pcap") {
		t.Errorf("error should name the file and offset: %v", err)
	}
	if sum == nil || sum.Connections == 0 {
		t.Fatalf("records before the cut should be kept, summary %+v", sum)
	}
	if got := len(readLog(t, filepath.Join(cfg.OutDir, "conn.log"))); uint64(got) != sum.Connections {
		t.Errorf("conn.log has %d records, summary %d", got, sum.Connections)
	}
}

func TestDecodeOnlyCountsPackets(t *testing.T) {
	path, st := writeSynth(t, 5000, 300)
	cfg := DefaultConfig()
	cfg.DecodeOnly = true
	sum, err := Run(context.Background(), cfg, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Packets != uint64(st.Packets) {
		t.Errorf("decode-only saw %d packets, capture has %d", sum.Packets, st.Packets)
	}
}

// Reassembly anomalies reach the summary and weird.log: an IPv6 datagram
// with overlapping fragments is discarded (RFC 5722) and reported.
func TestFragmentOverlapIsReported(t *testing.T) {
	dir := testcorpus.Require(t, "suricata-verify", "tests", "ipv6-evasion", "ipv6-malformed-fragments-1")
	pcaps, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if len(pcaps) != 1 {
		t.Skipf("capture missing in %s", dir)
	}
	sum, out := runTo(t, DefaultConfig(), pcaps[0])
	found := false
	for _, a := range sum.Anomalies {
		found = found || (a.Name == "fragment_overlap" && a.Count > 0)
	}
	if !found || sum.FragmentDrops == 0 {
		t.Errorf("overlap not in the summary: anomalies %v, fragment drops %d", sum.Anomalies, sum.FragmentDrops)
	}
	weirds := readLog(t, filepath.Join(out, "weird.log"))
	if len(weirds) == 0 || weirds[0]["name"] != "fragment_overlap" {
		t.Errorf("weird.log: %v", weirds)
	}
}

// A broken file in a directory does not stop the others: every good
// file's records are written and the error names the broken one.
func TestBrokenInputDoesNotStopTheOthers(t *testing.T) {
	good, _ := writeSynth(t, 3000, 200)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// "a-broken" sorts and starts first: its header is fine, a record is cut.
	if err := os.WriteFile(filepath.Join(dir, "a-broken.pcap"), data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b-good.pcap"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	alone, _ := runTo(t, DefaultConfig(), good)
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(context.Background(), cfg, []string{dir})
	var cerr *capture.Error
	if !errors.As(err, &cerr) || !strings.Contains(err.Error(), "a-broken.pcap") {
		t.Fatalf("want an error naming a-broken.pcap, got %v", err)
	}
	if sum == nil || sum.Packets <= alone.Packets {
		t.Fatalf("the good file was not read after the broken one: %d packets, the good file alone has %d", sum.Packets, alone.Packets)
	}
}
