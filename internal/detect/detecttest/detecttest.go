// Package detecttest builds synthetic record streams for detector tests and
// runs detectors over them.
package detecttest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Detector is the detector contract (the same as detect.Detector).
type Detector interface {
	Name() string
	Logs() []string
	Handle(r *rec.Rec, emit alert.Emit)
	Flush(now float64, emit alert.Emit)
}

// Line is one record of a log.
type Line struct {
	Log  string
	TS   float64
	JSON []byte
}

// Rec builds a Line from a field map (ts included).
func Rec(log string, fields map[string]any) Line {
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	ts, _ := fields["ts"].(float64)
	return Line{Log: log, TS: ts, JSON: b}
}

// Conn describes a conn.log record; zero fields are left out.
type Conn struct {
	TS                   float64
	UID                  string
	Src                  string
	SrcP                 int
	Dst                  string
	DstP                 int
	Proto                string // default tcp
	Service              string
	State                string // default SF
	History              string // omitted when empty
	Duration             float64
	OrigBytes, RespBytes uint64
	OrigPkts, RespPkts   uint64
	OrigMAC, RespMAC     string // orig_l2_addr, resp_l2_addr; omitted when empty
	OrigIPBytes          uint64 // default OrigBytes + 40 per packet
	RespIPBytes          uint64 // default RespBytes + 40 per packet
	MissedBytes          uint64 // omitted when zero
}

// Line returns the conn.log record.
func (c Conn) Line() Line {
	if c.Proto == "" {
		c.Proto = "tcp"
	}
	if c.State == "" {
		c.State = "SF"
	}
	if c.UID == "" {
		c.UID = "C" + c.Src + "-" + c.Dst
	}
	m := map[string]any{
		"ts": c.TS, "uid": c.UID, "id.orig_h": c.Src, "id.orig_p": c.SrcP, "id.resp_h": c.Dst,
		"id.resp_p": c.DstP, "proto": c.Proto, "conn_state": c.State,
		"orig_bytes": c.OrigBytes, "resp_bytes": c.RespBytes,
		"orig_pkts": c.OrigPkts, "resp_pkts": c.RespPkts,
		"orig_ip_bytes": c.OrigBytes + 40*c.OrigPkts, "resp_ip_bytes": c.RespBytes + 40*c.RespPkts,
	}
	if c.OrigIPBytes > 0 {
		m["orig_ip_bytes"] = c.OrigIPBytes
	}
	if c.RespIPBytes > 0 {
		m["resp_ip_bytes"] = c.RespIPBytes
	}
	if c.MissedBytes > 0 {
		m["missed_bytes"] = c.MissedBytes
	}
	if c.Duration > 0 {
		m["duration"] = c.Duration
	}
	if c.Service != "" {
		m["service"] = c.Service
	}
	if c.History != "" {
		m["history"] = c.History
	}
	if c.OrigMAC != "" {
		m["orig_l2_addr"] = c.OrigMAC
	}
	if c.RespMAC != "" {
		m["resp_l2_addr"] = c.RespMAC
	}
	return Rec("conn", m)
}

// Run feeds lines (sorted by ts, stable) to d, flushing every 10 s of
// record time as the engine does, then a final flush; it returns every
// alert emitted, with the catalogue defaults filled in.
func Run(t testing.TB, d Detector, lines []Line) []alert.Alert {
	t.Helper()
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].TS < lines[j].TS })
	return RunAsGiven(t, d, lines)
}

// RunAsGiven is Run without sorting: lines arrive in the order given, as
// records of different streams (packet facts, conn records) can.
func RunAsGiven(t testing.TB, d Detector, lines []Line) []alert.Alert {
	t.Helper()
	f := newFeeder(d)
	f.feed(t, d, lines)
	d.Flush(math.Inf(1), f.emit)
	return f.out
}

// feeder hands lines to a detector as Run does, collecting its alerts.
type feeder struct {
	out       []alert.Alert
	emit      alert.Emit
	subs      map[string]bool
	lastFlush float64
}

func newFeeder(d Detector) *feeder {
	f := &feeder{subs: map[string]bool{}, lastFlush: math.Inf(-1)}
	f.emit = func(a alert.Alert) {
		a.Fill()
		f.out = append(f.out, a)
	}
	for _, l := range d.Logs() {
		f.subs[l] = true
	}
	return f
}

// feed hands lines to d, flushing every 10 s of record time.
func (f *feeder) feed(t testing.TB, d Detector, lines []Line) {
	t.Helper()
	var r rec.Rec
	for _, l := range lines {
		if !f.subs[l.Log] {
			continue
		}
		if err := r.Parse(l.Log, l.JSON); err != nil {
			t.Fatalf("bad test record %s: %v", l.JSON, err)
		}
		d.Handle(&r, f.emit)
		if l.TS-f.lastFlush >= 10 {
			d.Flush(l.TS, f.emit)
			f.lastFlush = l.TS
		}
	}
}

// Persistent is a Detector whose state outlives a restart (the same as
// detect.Persistent).
type Persistent interface {
	Detector
	SaveState(w io.Writer) error
	LoadState(r io.Reader) error
}

// RunRestarted is Run with a restart at record time at: the lines before
// at go to first; its state is then saved, as a sensor's engine saves it
// when it stops for a restart (no final flush: a Suspend method, where
// first has one, ends what it does not save), and loaded into second, a
// fresh detector, which gets the rest of the lines (flushed every 10 s
// of record time, as Run flushes, the period going on across the
// restart) and the final flush. It returns the alerts of both and the
// saved state.
func RunRestarted(t testing.TB, first, second Persistent, lines []Line, at float64) ([]alert.Alert, []byte) {
	t.Helper()
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].TS < lines[j].TS })
	cut := sort.Search(len(lines), func(i int) bool { return lines[i].TS >= at })
	f := newFeeder(first)
	f.feed(t, first, lines[:cut])
	if s, ok := first.(interface{ Suspend(alert.Emit) }); ok {
		s.Suspend(f.emit)
	}
	var state bytes.Buffer
	if err := first.SaveState(&state); err != nil {
		t.Fatalf("%s: SaveState: %v", first.Name(), err)
	}
	saved := slices.Clone(state.Bytes())
	if err := second.LoadState(&state); err != nil {
		t.Fatalf("%s: LoadState: %v", second.Name(), err)
	}
	f.feed(t, second, lines[cut:])
	second.Flush(math.Inf(1), f.emit)
	return f.out, saved
}

// SameAlerts fails the test unless got holds the same alerts as want once
// merged into episodes (Merged), whatever their order: the same JSON
// lines but for the confidence (and the scores in the evidence), which may
// differ by rounding.
func SameAlerts(t testing.TB, want, got []alert.Alert) {
	t.Helper()
	lines := func(as []alert.Alert) []string {
		var out []string
		for _, a := range Merged(as) {
			a.Confidence = math.Round(a.Confidence*1e6) / 1e6
			for k, v := range a.Evidence {
				if f, ok := v.(float64); ok {
					a.Evidence[k] = math.Round(f*1e6) / 1e6
				}
			}
			out = append(out, string(a.JSON()))
		}
		sort.Strings(out)
		return out
	}
	w, g := lines(want), lines(got)
	if len(w) != len(g) {
		t.Errorf("%d alerts, want %d:\n%s\nwant\n%s", len(g), len(w), strings.Join(g, "\n"), strings.Join(w, "\n"))
		return
	}
	for i := range w {
		if w[i] != g[i] {
			t.Errorf("alert differs:\n got %s\nwant %s", g[i], w[i])
		}
	}
}

// Merged folds alerts into one per episode key (class, src, dst), as the
// engine's aggregator does.
func Merged(alerts []alert.Alert) []alert.Alert {
	var out []alert.Alert
	idx := map[string]int{}
	for _, a := range alerts {
		if i, ok := idx[a.Key()]; ok {
			out[i].Merge(a)
			continue
		}
		a.Count = max(a.Count, 1)
		idx[a.Key()] = len(out)
		out = append(out, a)
	}
	return out
}

// Classes returns the classes of alerts, one each, sorted.
func Classes(alerts []alert.Alert) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range alerts {
		if !seen[a.Class] {
			seen[a.Class] = true
			out = append(out, a.Class)
		}
	}
	sort.Strings(out)
	return out
}

// Find returns the first merged alert of class, failing the test when
// there is none.
func Find(t testing.TB, alerts []alert.Alert, class string) alert.Alert {
	t.Helper()
	for _, a := range Merged(alerts) {
		if a.Class == class {
			return a
		}
	}
	t.Fatalf("no %s alert among %v", class, Classes(alerts))
	return alert.Alert{}
}

// Expect finds the merged alert of class (see Find) and checks its ends
// and the number its evidence gives for key; it returns the alert for
// further checks.
func Expect(t testing.TB, alerts []alert.Alert, class, src, dst, key string, want float64) alert.Alert {
	t.Helper()
	a := Find(t, alerts, class)
	if a.Src != src || a.Dst != dst {
		t.Errorf("%s: src/dst = %q/%q, want %q/%q", class, a.Src, a.Dst, src, dst)
	}
	if got := Num(t, a, key); got != want {
		t.Errorf("%s: %s = %v, want %v: %s", class, key, got, want, a.Summary)
	}
	return a
}

// Num returns evidence[key] as a float64 (JSON numbers of any Go type).
func Num(t testing.TB, a alert.Alert, key string) float64 {
	t.Helper()
	switch v := a.Evidence[key].(type) {
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	case float64:
		return v
	}
	t.Fatalf("evidence %q missing or not a number in %v", key, a.Evidence)
	return 0
}

// Quiet fails the test when alerts is not empty.
func Quiet(t testing.TB, alerts []alert.Alert) {
	t.Helper()
	for _, a := range alerts {
		t.Errorf("unexpected alert: %s", a.JSON())
	}
}

// ZeekTSV reads a Zeek TSV log (gzip allowed) and returns its rows as JSON
// lines of log, with numbers, booleans and lists typed from #types.
func ZeekTSV(t testing.TB, path, log string) []Line {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	tsv, err := record.ReadZeekTSV(r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []Line
	for _, row := range tsv.Rows {
		m := map[string]any{}
		for i, name := range tsv.Fields {
			v, ok := tsv.Get(row, name)
			if !ok || i >= len(tsv.Types) {
				continue
			}
			m[name] = typed(tsv.Types[i], v, tsv.SetSeparator)
		}
		out = append(out, Rec(log, m))
	}
	return out
}

func typed(typ, v, sep string) any {
	switch {
	case typ == "time" || typ == "interval" || typ == "double" || typ == "count" || typ == "int" || typ == "port":
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case typ == "bool":
		return v == "T"
	case strings.HasPrefix(typ, "set[") || strings.HasPrefix(typ, "vector["):
		if v == "" {
			return []string{}
		}
		return strings.Split(v, sep)
	}
	return v
}

// Damage is a saved state a detector made with Cfg must refuse, with an
// error saying Want.
type Damage[C any] struct {
	Name  string
	Cfg   C
	State []byte
	Want  string
}

// Damaged returns the damages every saved state is refused for: cut in
// half, one byte short, and of the next state version (its first byte).
func Damaged[C any](cfg C, state []byte, version byte) []Damage[C] {
	return []Damage[C]{
		{"truncated", cfg, state[:len(state)/2], "truncated"},
		{"one byte short", cfg, state[:len(state)-1], "truncated"},
		{"future version", cfg, append([]byte{version + 1}, state[1:]...), "version"},
	}
}

// Refuses loads each damaged state into a detector newDetector makes and
// checks that it is refused with an error saying its Want, and that the
// detector holds nothing after it (held describes what it holds, "" for
// nothing).
func Refuses[C any, D Persistent](t testing.TB, newDetector func(C) D, held func(D) string, damages []Damage[C]) {
	t.Helper()
	for _, dm := range damages {
		d := newDetector(dm.Cfg)
		if err := d.LoadState(bytes.NewReader(dm.State)); err == nil || !strings.Contains(err.Error(), dm.Want) {
			t.Errorf("%s: %v, want an error saying %q", dm.Name, err, dm.Want)
		}
		if h := held(d); h != "" {
			t.Errorf("%s: state kept after an error: %s", dm.Name, h)
		}
	}
}

// After returns the lines from record time at on: what a detector
// started fresh at a restart sees.
func After(lines []Line, at float64) []Line {
	var out []Line
	for _, l := range lines {
		if l.TS >= at {
			out = append(out, l)
		}
	}
	return out
}
