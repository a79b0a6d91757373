package detect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/detect/persist"
)

// restartT0 is when restartStream begins; restartAt when its sensor
// restarts (six of its ten hours).
const (
	restartT0 = 1.7e9
	restartAt = restartT0 + 6*3600
)

// restartStream is ten hours of what the persisting detectors remember
// for hours, among browsing: a beacon's check-ins every 5 minutes; an
// nmap -T0 vertical scan (a port every 5 minutes, 40 ports from hour 4);
// a host uploading 3 MB every 10 minutes, then 25 MB two minutes after
// the restart (under ten times its baseline); a tunnel re-dialled every
// half hour, 20 minutes each time, from hour 5; a slow DNS tunnel (a
// tunnel-like name every 5 minutes: 100 at hour 8.3) and a slow DGA (an
// unanswered generated-looking name every 10 minutes: 50 at hour 8.3).
func restartStream() []dt.Line {
	rng := rand.New(rand.NewPCG(11, 12))
	var l []dt.Line
	for ts := 0.0; ts < 10*3600; ts += 300 + rng.Float64()*20 - 10 {
		l = append(l, dt.Conn{TS: restartT0 + ts, Src: "10.66.0.30", SrcP: 40000, Dst: "198.51.100.66", DstP: 443, Duration: 0.3,
			OrigBytes: 310 + uint64(rng.IntN(8)), RespBytes: 800, OrigPkts: 5, RespPkts: 5}.Line())
	}
	for p := 1; p <= 40; p++ {
		l = append(l, dt.Conn{TS: restartT0 + 4*3600 + float64(p-1)*300, UID: fmt.Sprintf("V%d", p), Src: "10.66.0.66", SrcP: 40000,
			Dst: "10.66.0.20", DstP: p, State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
	}
	for i, ts := 0, 0.0; ts < 10*3600; i, ts = i+1, ts+600 {
		l = append(l, dt.Conn{TS: restartT0 + ts, Src: "10.1.0.5", SrcP: 50000, Dst: fmt.Sprintf("203.0.113.%d", i%200), DstP: 443,
			OrigBytes: 3_000_000, RespBytes: 10_000}.Line())
	}
	l = append(l, dt.Conn{TS: restartAt + 120, Src: "10.1.0.5", SrcP: 50001, Dst: "192.0.2.9", DstP: 443, OrigBytes: 25_000_000, RespBytes: 10_000}.Line())
	for i := range 4 {
		l = append(l, dt.Conn{TS: restartT0 + 5*3600 + float64(i)*1800, UID: fmt.Sprintf("Cpiece%d", i), Src: "10.0.0.7", SrcP: 50000 + i,
			Dst: "203.0.113.250", DstP: 4444, Duration: 1200, OrigBytes: 1e5, RespBytes: 2e5}.Line())
	}
	names := rand.New(rand.NewPCG(13, 14)) // the browsing's own numbers stay as they were
	for i, ts := 0, 0.0; ts < 10*3600; i, ts = i+1, ts+300 {
		l = append(l, dt.Rec("dns", map[string]any{"ts": restartT0 + ts, "uid": fmt.Sprintf("T%d", i), "id.orig_h": "10.66.0.42", "id.orig_p": 5000,
			"id.resp_h": "10.66.0.53", "id.resp_p": 53, "query": base32(names, 50) + ".t.slowdrip.org", "qtype_name": "TXT"}))
		if i%2 == 0 {
			l = append(l, dt.Rec("dns", map[string]any{"ts": restartT0 + ts, "uid": fmt.Sprintf("G%d", i), "id.orig_h": "10.66.0.21", "id.orig_p": 5000,
				"id.resp_h": "10.66.0.53", "id.resp_p": 53, "query": letters(names, 14) + ".com", "qtype_name": "A", "rcode_name": "NXDOMAIN"}))
		}
	}
	for i, ts := 0, 0.0; ts < 10*3600; i, ts = i+1, ts+rng.ExpFloat64()*60 {
		l = append(l, dt.Conn{TS: restartT0 + ts, Src: "10.66.0.9", SrcP: 50000 + i%10000, Dst: fmt.Sprintf("93.184.%d.%d", rng.IntN(4), rng.IntN(250)), DstP: 443,
			Duration: 2, OrigBytes: uint64(500 + i*7%3000), RespBytes: 40000}.Line())
		l = append(l, dt.Rec("dns", map[string]any{"ts": restartT0 + ts, "uid": "D", "id.orig_h": "10.66.0.9", "id.orig_p": 5000,
			"id.resp_h": "10.66.0.53", "id.resp_p": 53, "query": fmt.Sprintf("www.site%d.example", i%50), "qtype_name": "A"}))
	}
	return sortLines(l)
}

// base32 and letters are n random characters of base32 and of the
// alphabet: a tunnel's data, a generated domain's label.
func base32(rng *rand.Rand, n int) string {
	return randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", n)
}
func letters(rng *rand.Rand, n int) string { return randFrom(rng, "abcdefghijklmnopqrstuvwxyz", n) }

func randFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// split cuts sorted lines at record time at.
func split(lines []dt.Line, at float64) (before, after []dt.Line) {
	i := 0
	for i < len(lines) && lines[i].TS < at {
		i++
	}
	return lines[:i], lines[i:]
}

// notes collects an engine's notices about its state file.
type notes struct{ lines []string }

func (n *notes) log(msg string) { n.lines = append(n.lines, msg) }

func (n *notes) has(t *testing.T, parts ...string) {
	t.Helper()
	for _, l := range n.lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no notice with %q among %q", parts, n.lines)
}

func feed(e *Engine, lines []dt.Line) {
	for _, l := range lines {
		e.Record(l.Log, l.JSON)
	}
}

// episodeKeys are the keys of the alerts' episodes, sorted, one each.
func episodeKeys(as []Alert) []string {
	var keys []string
	for _, a := range dt.Merged(as) {
		keys = append(keys, a.Key())
	}
	slices.Sort(keys)
	return keys
}

// A sensor restarted after six of ten hours, its state saved at Close
// and loaded by the next engine, reports what an engine running the ten
// hours reports: the beacon, scored at the end from all its check-ins;
// the slow scan, whose 30th port comes after the restart; the tunnel,
// whose third piece does; the slow DNS tunnel and the slow DGA, whose
// 100th and 50th names do; and not the 25 MB upload, under the host's
// baseline. Close does not end what it saved: the first engine reports
// no beacon. The second engine, started fresh, reports otherwise.
func TestStateFileRestart(t *testing.T) {
	cfg := DefaultConfig()
	lines := restartStream()
	whole := runEngine(t, cfg, Output{}, lines)
	want := episodeKeys(whole.Alerts())
	for _, k := range []string{"c2.beacon|10.66.0.30|198.51.100.66|", "scan.vertical|10.66.0.66|10.66.0.20|", "conn.long|10.0.0.7|203.0.113.250|",
		"dns.tunnel|10.66.0.42|10.66.0.53|slowdrip.org", "dns.dga|10.66.0.21|10.66.0.53|"} {
		if !slices.Contains(want, k) {
			t.Fatalf("the run without a restart has no %s: %q", k, want)
		}
	}
	before, after := split(lines, restartAt)
	path := filepath.Join(t.TempDir(), "detect.state")
	var n1 notes
	st := StateFile{Path: path, Resume: true, Version: "test", Log: n1.log}
	e1, err := New(cfg, Output{State: st})
	if err != nil {
		t.Fatal(err)
	}
	feed(e1, before)
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}
	n1.has(t, path, "none yet; starting fresh")
	n1.has(t, path, "saved", "beacon: ", "exfil: ", "scan: ", "longconn: ", "dnstunnel: 1 slow tallies (0 alerted), 1 client tallies", "dga: 1 slow counts (0 alerted)")
	for _, a := range e1.Alerts() {
		if a.Class == "c2.beacon" || a.Class == "exfil" {
			t.Errorf("the first engine's Close reported %s: %s", a.Class, a.Summary)
		}
	}
	var n2 notes
	st.Log = n2.log
	st.Resume = false // the end of the input: everything is ended and reported
	e2, err := New(cfg, Output{State: st})
	if err != nil {
		t.Fatal(err)
	}
	n2.has(t, path, "loaded", "by Vigil test", "beacon: ", "exfil: 3 hosts", "scan: 1 slow records", "longconn: 1 pairs", "dnstunnel: 1 slow tallies", "dga: 1 slow counts")
	feed(e2, after)
	if err := e2.Close(); err != nil {
		t.Fatal(err)
	}
	got := episodeKeys(append(slices.Clone(e1.Alerts()), e2.Alerts()...))
	if !slices.Equal(got, want) {
		t.Errorf("episodes with the restart:\n%s\nwithout:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	beacon := func(as []Alert) float64 {
		for _, a := range as {
			if a.Class == "c2.beacon" {
				return dt.Num(t, a, "connections")
			}
		}
		return 0
	}
	if b, w := beacon(e2.Alerts()), beacon(whole.Alerts()); b != w {
		t.Errorf("beacon scored on %v connections after the restart, %v without", b, w)
	}

	fresh := episodeKeys(runEngine(t, cfg, Output{}, after).Alerts())
	if slices.Equal(fresh, want) || beacon(runEngine(t, cfg, Output{}, after).Alerts()) == beacon(whole.Alerts()) {
		t.Errorf("a fresh engine after the restart reports the same: the test does not tell a kept state from a lost one")
	}
}

// testState is a state file of the persisting detectors after
// restartStream's first six hours.
func testState(t *testing.T, cfg Config) []byte {
	t.Helper()
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := split(restartStream(), restartAt)
	feed(e, before)
	var buf bytes.Buffer
	if err := e.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stateSections reads a state file's sections (name, payload) as
// LoadState does, for tests that rebuild files.
func stateSections(t *testing.T, file []byte) (header []byte, names []string, payloads [][]byte) {
	t.Helper()
	d := persist.NewDec(file)
	d.Raw(len(stateMagic) + 2)
	d.Str(64)
	d.I64()
	d.F64()
	n := int(d.U16())
	header = file[:len(file)-d.Left()-2]
	for range n {
		name, _, size := d.Str(64), d.U32(), d.U64()
		names, payloads = append(names, name), append(payloads, d.Raw(int(size)))
	}
	if err := d.End(); err != nil {
		t.Fatal(err)
	}
	return header, names, payloads
}

// buildState writes a state file of the sections given.
func buildState(header []byte, names []string, payloads [][]byte) []byte {
	e := persist.Enc{}
	e.U16(uint16(len(names)))
	for i, name := range names {
		e.Str(name)
		e.U32(crc32.ChecksumIEEE(payloads[i]))
		e.U64(uint64(len(payloads[i])))
		for _, b := range payloads[i] {
			e.U8(b)
		}
	}
	return append(slices.Clone(header), e.Bytes()...)
}

// heldState sums the sizes of the persisting detectors' state (not the
// maps the configuration fills: stateBounds' config).
func heldState(e *Engine) int {
	n := 0
	bounds := stateBounds(&e.cfg)
	for _, d := range e.detectors {
		if !persistent(d) {
			continue
		}
		for path, size := range stateSizes(d) {
			if bounds[d.Name()+" "+path] != config {
				n += size
			}
		}
	}
	return n
}

// A file that is empty, not a state file, of another format, truncated
// anywhere or corrupt is refused whole: an error, no detector changed. A
// section of a detector not running here, given twice, or that its
// detector refuses (another state version, over its bounds) is skipped,
// and the others load.
func TestStateFileRefused(t *testing.T) {
	cfg := DefaultConfig()
	file := testState(t, cfg)
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	future := slices.Clone(file)
	binary.LittleEndian.PutUint16(future[len(stateMagic):], stateFormat+1)
	flipped := slices.Clone(file)
	flipped[len(flipped)-3] ^= 0x40
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"not a state file", []byte("{\"beacon\": {}}\n"), "not a Vigil detection state file"},
		{"future format", future, "state file format 2 (saved by Vigil ), this Vigil reads format 1"},
		{"flipped bit", flipped, "corrupt (its checksum does not match)"},
		{"trailing bytes", append(slices.Clone(file), 0), "corrupt state file"},
		{"one byte short", file[:len(file)-1], "truncated state file"},
	} {
		if _, err := e.LoadState(bytes.NewReader(tc.file)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	for n := range len(file) {
		if n > 200 && n%61 != 0 {
			continue
		}
		if _, err := e.LoadState(bytes.NewReader(file[:n])); err == nil {
			t.Fatalf("a file cut at %d of %d bytes was loaded", n, len(file))
		}
	}
	if n := heldState(e); n != 0 {
		t.Fatalf("refused files left %d entries of state", n)
	}

	header, names, payloads := stateSections(t, file)
	if !slices.Equal(names, []string{"scan", "beacon", "dnstunnel", "dga", "longconn", "exfil"}) {
		t.Fatalf("sections %q", names)
	}
	newer := slices.Clone(payloads[1])
	newer[0]++
	mixed := buildState(header, []string{"scan", "beacon", "nosuch", "scan", "exfil", "longconn"},
		[][]byte{payloads[0], newer, []byte("x"), payloads[0], payloads[5], payloads[4]})
	info, err := e.LoadState(bytes.NewReader(mixed))
	if err != nil {
		t.Fatal(err)
	}
	wantSkipped := []string{
		`section "beacon" dropped, the detector starts fresh: beacon: at byte 1: state version 2, this Vigil reads version 1`,
		`section "nosuch": no such detector keeping state here (disabled or unknown); skipped`,
		`section "scan": given twice (the first loaded)`,
	}
	if !slices.Equal(info.Skipped, wantSkipped) || len(info.Loaded) != 3 {
		t.Errorf("skipped %q, loaded %q", info.Skipped, info.Loaded)
	}

	// A disabled detector's section is skipped too, and over a bound the
	// detector's section is dropped.
	off := DefaultConfig()
	off.DGA.Enabled, off.Beacon.Enabled, off.Exfil.MaxHosts = false, false, 1
	e, err = New(off, Output{})
	if err != nil {
		t.Fatal(err)
	}
	info, err = e.LoadState(bytes.NewReader(file))
	if err != nil || len(info.Loaded) != 3 || len(info.Skipped) != 3 || !strings.Contains(info.Skipped[0], `"beacon": no such detector`) ||
		!strings.Contains(info.Skipped[1], `"dga": no such detector`) ||
		!strings.Contains(info.Skipped[2], `"exfil" dropped`) || !strings.Contains(info.Skipped[2], "more than 1") {
		t.Errorf("%v: skipped %q, loaded %q", err, info.Skipped, info.Loaded)
	}
}

// A state file that is refused is named in one notice saying what was
// wrong, and the engine starts fresh.
func TestStateFileNotice(t *testing.T) {
	cfg := DefaultConfig()
	path := filepath.Join(t.TempDir(), "detect.state")
	file := testState(t, cfg)
	if err := os.WriteFile(path, file[:len(file)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	var n notes
	e, err := New(cfg, Output{State: StateFile{Path: path, Log: n.log}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if len(n.lines) != 1 || !strings.Contains(n.lines[0], path) || !strings.Contains(n.lines[0], "dropped, starting fresh: truncated state file") {
		t.Errorf("notices %q", n.lines)
	}
	if held := heldState(e); held != 0 {
		t.Errorf("%d entries of state after a refused file", held)
	}
}

// Restored state expires by the detectors' own rules as time moves on: a
// live engine whose wall clock is nine days past the state's records
// holds none of it after its first flush.
func TestStateFileExpires(t *testing.T) {
	cfg := DefaultConfig()
	file := testState(t, cfg)
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.LoadState(bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	if heldState(e) == 0 {
		t.Fatal("nothing loaded")
	}
	e.Advance(int64((restartAt + 9*86400) * 1e9))
	e.Advance(int64((restartAt + 9*86400 + 3600) * 1e9)) // longconn sweeps once an hour
	for _, d := range e.detectors {
		if ss, ok := d.(stateSummary); ok {
			t.Logf("%s: %s", d.Name(), ss.StateSummary())
		}
	}
	if n := heldState(e); n != 0 {
		t.Errorf("%d entries of state left nine days later", n)
	}
}

// A live run saves its state every StateFile.Every of wall time
// (Advance), atomically: the file is whole at any time and no temporary
// file is left beside it.
func TestStateFilePeriodicSave(t *testing.T) {
	cfg := DefaultConfig()
	dir := t.TempDir()
	path := filepath.Join(dir, "detect.state")
	e, err := New(cfg, Output{State: StateFile{Path: path, Every: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := split(restartStream(), restartAt)
	wall := time.Unix(int64(restartT0), 0)
	e.Advance(wall.UnixNano())
	feed(e, before[:len(before)/2])
	e.Advance(wall.Add(30 * time.Second).UnixNano())
	if _, err := os.Stat(path); err == nil {
		t.Fatal("saved before a minute passed")
	}
	feed(e, before[len(before)/2:])
	e.Advance(wall.Add(61 * time.Second).UnixNano())
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not saved a minute on")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	ents = slices.DeleteFunc(ents, func(e os.DirEntry) bool { return e.Name() == "detect.state.lock" })
	if len(ents) != 1 {
		t.Errorf("files beside the state: %v", ents)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v %v", fi.Mode(), err)
	}
	e2, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	f, _ := os.ReadFile(path)
	if info, err := e2.LoadState(bytes.NewReader(f)); err != nil || len(info.Loaded) != 6 || math.IsInf(info.Traffic, 0) {
		t.Errorf("the saved file: %v %+v", err, info)
	}
}
