package defrag

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// fileResult is what feeding one capture through decode and defrag gave.
type fileResult struct {
	frames, fragments, reassembled, timeouts int
	anomalies                                map[decode.AnomalyKind]int
	outputs                                  [][]byte // reassembled datagrams (copies)
	decodeAnomalies                          int      // anomalies DecodeIP added to reassembled datagrams
	readErr                                  error
}

// runCapture decodes path the way the pipeline does: fragments go to Add,
// reassembled datagrams back to DecodeIP (again to Add when a tunnel inside
// carries a fragment).
func runCapture(t *testing.T, path string) fileResult {
	t.Helper()
	res := fileResult{anomalies: map[decode.AnomalyKind]int{}}
	src, err := capture.Open([]string{path})
	if err != nil {
		res.readErr = err
		return res
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.DefaultConfig())
	r := mustNew(t, Config{})
	var f capture.Frame
	var p decode.Packet
	for {
		if err := src.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				res.readErr = err
			}
			break
		}
		res.frames++
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		r.Expire(p.TS, func(Event) { res.timeouts++ })
		for depth := 0; p.Frag.IsFragment && depth < decode.MaxTunnels+1; depth++ {
			res.fragments++
			n := p.NumAnomalies
			out := r.Add(&p)
			for i := n; i < p.NumAnomalies; i++ {
				res.anomalies[p.Anomalies[i].Kind]++
			}
			if out == nil {
				break
			}
			checkDatagram(t, out)
			res.reassembled++
			res.outputs = append(res.outputs, slices.Clone(out))
			n = p.NumAnomalies
			dec.DecodeIP(out, &p)
			res.decodeAnomalies += int(p.NumAnomalies - n)
		}
		if st := r.Stats(); st.Bytes > r.cfg.MaxBytes {
			t.Fatalf("%s: Bytes %d", path, st.Bytes)
		}
	}
	r.Expire(1<<62, func(Event) { res.timeouts++ })
	return res
}

// suricataSIDs maps the Suricata decoder-event rules of the ipv6-evasion
// tests to the anomaly Vigil reports for the same condition.
var suricataSIDs = map[int]decode.AnomalyKind{
	2200071: decode.AnomalyOversizedFragment,    // ipv6.frag_pkt_too_large
	2200072: decode.AnomalyFragmentOverlap,      // ipv6.frag_overlap
	2200119: decode.AnomalyFragmentSizeMismatch, // ipv6.frag_invalid_length
}

var (
	reCount  = regexp.MustCompile(`^\s*count:\s*(\d+)`)
	reSID    = regexp.MustCompile(`alert\.signature_id:\s*(\d+)`)
	rePacket = regexp.MustCompile(`^\s*packet:\s*"([A-Za-z0-9+/=]+)"`)
)

// suricataExpect reads a test.yaml: signature ids asserted with a count > 0
// and base64 packets the alerts must carry.
func suricataExpect(t *testing.T, path string) (sids []int, packets [][]byte) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	count := -1
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := reCount.FindStringSubmatch(line); m != nil {
			count, _ = strconv.Atoi(m[1])
		}
		if m := reSID.FindStringSubmatch(line); m != nil && count != 0 {
			n, _ := strconv.Atoi(m[1])
			sids = append(sids, n)
		}
		if m := rePacket.FindStringSubmatch(line); m != nil && count != 0 {
			b, err := base64.StdEncoding.DecodeString(m[1])
			if err != nil {
				t.Errorf("%s: packet: %v", path, err)
				continue
			}
			packets = append(packets, b)
		}
	}
	return sids, packets
}

// TestCorpusSuricata runs the suricata-verify defrag and ipv6-evasion tests:
// the anomalies matching Suricata's fragment decoder events must appear and
// the reassembled packets Suricata logs must be the datagrams Add returns.
func TestCorpusSuricata(t *testing.T) {
	root := testcorpus.Require(t, "suricata-verify")
	var dirs []string
	for _, group := range []string{"defrag", "ipv6-evasion"} {
		ents, err := os.ReadDir(filepath.Join(root, "tests", group))
		if err != nil {
			t.Skipf("suricata-verify tests missing: %v", err)
		}
		for _, e := range ents {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(root, "tests", group, e.Name()))
			}
		}
	}
	var tot fileResult
	tot.anomalies = map[decode.AnomalyKind]int{}
	files, matchedSIDs, matchedPackets := 0, 0, 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		sids, packets := suricataExpect(t, filepath.Join(dir, "test.yaml"))
		var got fileResult
		got.anomalies = map[decode.AnomalyKind]int{}
		for _, path := range testcorpus.Captures(t, dir) {
			files++
			res := runCapture(t, path)
			if res.readErr != nil {
				t.Logf("%s: %v", path, res.readErr)
			}
			got.frames += res.frames
			got.fragments += res.fragments
			got.reassembled += res.reassembled
			got.timeouts += res.timeouts
			got.outputs = append(got.outputs, res.outputs...)
			for k, v := range res.anomalies {
				got.anomalies[k] += v
			}
		}
		for _, sid := range sids {
			kind, ok := suricataSIDs[sid]
			if !ok {
				continue
			}
			if got.anomalies[kind] == 0 {
				t.Errorf("%s: Suricata raises sid %d, Vigil no %v (anomalies %v)", name, sid, kind, got.anomalies)
			} else {
				matchedSIDs++
			}
		}
		if strings.HasPrefix(name, "bug-6887") && got.fragments == 0 {
			t.Logf("%s: the decoder gave no fragment (link type not decoded?)", name)
		} else if strings.HasPrefix(name, "bug-6887") {
			for i, want := range packets {
				found := false
				for _, out := range got.outputs {
					if bytes.HasSuffix(want, out) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("%s: logged packet %d (%d bytes) is not a reassembled datagram (got %d)", name, i, len(want), got.reassembled)
				} else {
					matchedPackets++
				}
			}
			if got.reassembled == 0 {
				t.Errorf("%s: nothing reassembled", name)
			}
		}
		t.Logf("%-40s frames %3d fragments %3d reassembled %2d timeouts %2d anomalies %v",
			name, got.frames, got.fragments, got.reassembled, got.timeouts, got.anomalies)
		tot.frames += got.frames
		tot.fragments += got.fragments
		tot.reassembled += got.reassembled
		for k, v := range got.anomalies {
			tot.anomalies[k] += v
		}
	}
	t.Logf("suricata-verify: %d captures, %d frames, %d fragments, %d reassembled, %d sid expectations met, %d logged packets matched; anomalies %v",
		files, tot.frames, tot.fragments, tot.reassembled, matchedSIDs, matchedPackets, tot.anomalies)
}

// zeekExpect holds what Zeek's baselines (core.reassembly, core.ipv6-frag,
// core.tunnels.gtp.outer_ip_frag) show for some traces.
var zeekExpect = map[string]struct {
	reassembled int
	anomalies   []decode.AnomalyKind
}{
	"ipv4/fragmented-1.pcap":                             {0, []decode.AnomalyKind{decode.AnomalyFragmentSizeMismatch}},
	"ipv4/fragmented-4.pcap":                             {1, []decode.AnomalyKind{decode.AnomalyFragmentInconsistent}},
	"ipv6-fragmented-dns.pcap":                           {1, nil},
	"tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap": {1, nil},
}

// TestCorpusZeek runs the Zeek traces whose name mentions fragments.
func TestCorpusZeek(t *testing.T) {
	index := testcorpus.Require(t, "zeek", "INDEX-trace-to-baseline.tsv")
	traces := filepath.Join(testcorpus.Dir(), "zeek", "testing", "btest", "Traces")
	data, err := os.ReadFile(index)
	if err != nil {
		t.Skipf("zeek index missing: %v", err)
	}
	seen := map[string]bool{}
	var tot fileResult
	tot.anomalies = map[decode.AnomalyKind]int{}
	for _, line := range strings.Split(string(data), "\n") {
		trace, _, _ := strings.Cut(line, "\t")
		if strings.HasPrefix(trace, "#") || !strings.Contains(strings.ToLower(trace), "frag") || seen[trace] {
			continue
		}
		seen[trace] = true
		path := filepath.Join(traces, trace)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s: missing", trace)
			continue
		}
		res := runCapture(t, path)
		if res.readErr != nil {
			t.Logf("%s: %v", trace, res.readErr)
		}
		if want, ok := zeekExpect[trace]; ok {
			if res.reassembled < want.reassembled {
				t.Errorf("%s: %d datagrams reassembled, want at least %d", trace, res.reassembled, want.reassembled)
			}
			for _, k := range want.anomalies {
				if res.anomalies[k] == 0 {
					t.Errorf("%s: no %v (Zeek's baseline has it); got %v", trace, k, res.anomalies)
				}
			}
		}
		t.Logf("%-60s frames %4d fragments %3d reassembled %3d timeouts %2d anomalies %v",
			trace, res.frames, res.fragments, res.reassembled, res.timeouts, res.anomalies)
		tot.frames += res.frames
		tot.fragments += res.fragments
		tot.reassembled += res.reassembled
		tot.timeouts += res.timeouts
		tot.decodeAnomalies += res.decodeAnomalies
		for k, v := range res.anomalies {
			tot.anomalies[k] += v
		}
	}
	t.Logf("zeek: %d traces, %d frames, %d fragments, %d reassembled, %d timeouts; defrag anomalies %v; %d decode anomalies in reassembled datagrams",
		len(seen), tot.frames, tot.fragments, tot.reassembled, tot.timeouts, tot.anomalies, tot.decodeAnomalies)
}
