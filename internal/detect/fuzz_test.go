package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/detect/scan"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// bulkRecords is how many records of distinct addresses and names a fuzz
// iteration adds after the input's own (see bulkEvery), to check that state stays
// under the caps of fuzzConfig.
const bulkRecords = 300

// bulkEvery: one input in bulkEvery (by hash) gets the bulk records,
// which cost ten times the rest of an iteration; the fuzzer, which
// minimizes every input that finds new code, stays fast.
const bulkEvery = 4

// seedLines is how many lines of a seed file make one seed.
const seedLines = 3

// fuzzCap is the cap fuzzConfig gives every detector's state: small, so
// that bulkRecords goes far past it and eviction runs in every iteration.
const fuzzCap = 8

// FuzzEngine feeds the engine a sequence of records decoded from the
// input: one per line, "LOG\tJSON", where LOG is one of the logs the
// detectors read (else it picks one of them by its bytes), handed over as
// the analyzer does (RecordShared with a rec.Shared, sometimes parsed by
// another consumer first) or by Record. For one input in bulkEvery it
// then adds bulkRecords records made from the input's valid objects with
// distinct addresses, ports, names and uids. It flushes and closes. It
// checks that nothing panics, that every detector's maps and lists stay
// under their caps (fuzzConfig; the sizes are read by reflection, table
// stateBounds), that every alert line is a JSON alert (not the
// marshalling-error stub) of a class of the catalogue with a valid EVE
// form, that incident lines are JSON, and that the lines match the
// engine's counters.
func FuzzEngine(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "engine", "*.tsv"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata/engine: %v", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		// Seeds of a few lines each: the fuzzer minimizes every input
		// that finds new code, which takes a long time for long ones.
		lines := bytes.SplitAfter(data, []byte("\n"))
		for i := 0; i < len(lines); i += seedLines {
			f.Add(bytes.Join(lines[i:min(i+seedLines, len(lines))], nil))
		}
	}
	f.Add([]byte("conn\t{}\nnot-a-log\t{\"ts\":1e999,\"query\":\"..\"}\n\t[1,2]\ndns\t{\"ts\":-1,\"query\":\"\\u0000.co.uk.\"}\n\n"))
	f.Add([]byte("_arp\t{\"ts\":1,\"src_mac\":\"zz\",\"src_ip\":\"::ffff:1.2.3.4\",\"op\":\"2\"}\nssl\t{\"cert_chain_fps\":[1,null,\"\"]}"))
	cfg := fuzzConfig(f)
	known := map[string]bool{}
	for _, c := range alert.Classes() {
		known[c.Class] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out lineCollector
		e, err := New(cfg, Output{Records: &out})
		if err != nil {
			t.Fatal(err)
		}
		lines := splitInput(e.Logs(), data)
		feedLines(e, lines)
		e.Flush(0)
		if seed := fnv32(data); seed%bulkEvery == 0 {
			feedBulk(e, lines, seed)
		}
		checkStateBounds(t, e)
		e.Flush(math.MaxInt64)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		checkOutput(t, e, &out, known)
	})
}

// fuzzConfig is the default configuration with every state cap at
// fuzzCap, and the intel detector given the plain feed of package intel's
// tests (so that its matching runs). The DGA detector's model is parsed
// once for all engines (dga.Shared): each New is cheap.
func fuzzConfig(tb testing.TB) Config {
	c := DefaultConfig()
	c.Scan.MaxEntries = fuzzCap
	c.Flood.MaxVictims, c.Flood.MaxSources = fuzzCap, fuzzCap
	// An HTTP flood at 4 requests and a slow HTTP DoS at 2 connections:
	// their alerts are made from hostile fields.
	c.Flood.HTTP.MinRequests, c.Flood.HTTP.MinRate, c.Flood.HTTP.FocusShare, c.Flood.HTTP.MinPerClient = 4, 0.01, 0, 1
	c.Flood.HTTP.SlowMinConns, c.Flood.HTTP.SlowMinDuration, c.Flood.HTTP.SlowMaxRate = 2, 0, math.MaxFloat64
	// A web scan at 2 paths, one refused: its alert is made from hostile
	// paths, hosts and user agents.
	c.WebScan.MinPaths, c.WebScan.MinHosts, c.WebScan.FailShare, c.WebScan.MaxTargets = 2, 2, 0.01, fuzzCap
	c.BruteForce.MaxPairs = fuzzCap
	c.WSTunnel.MaxPairs = fuzzCap
	c.Kerberoast.MaxClients, c.Kerberoast.MinServices = fuzzCap, 2
	c.Beacon.MaxPairs, c.Beacon.MaxConns = fuzzCap, fuzzCap
	c.DNSTunnel.MaxDomains, c.DNSTunnel.MaxUnique = fuzzCap, fuzzCap
	c.DGA.MaxClients = fuzzCap
	c.Exfil.MaxHosts = fuzzCap
	c.ARPSpoof.MaxBindings = fuzzCap
	c.Mirai.MaxSources, c.Mirai.MaxTargets = fuzzCap, fuzzCap
	c.TLS.MaxCerts = fuzzCap
	c.ICS.MaxEpisodes = fuzzCap
	c.Intel.Feeds = []string{filepath.Join("..", "intel", "testdata", "plain.txt")}
	if err := c.Validate(); err != nil {
		tb.Fatal(err)
	}
	return c
}

// inputLine is one record of the fuzz input.
type inputLine struct {
	log  string
	json []byte
}

// splitInput cuts data into lines "LOG\tJSON". A LOG that is not one of
// logs (a line without a tab has LOG "") picks logs[sum of its bytes and
// the line number, modulo len(logs)].
func splitInput(logs []string, data []byte) []inputLine {
	var out []inputLine
	for i, line := range bytes.Split(data, []byte("\n")) {
		prefix, body, ok := bytes.Cut(line, []byte("\t"))
		if !ok {
			prefix, body = nil, line
		}
		log := string(prefix)
		if !slices.Contains(logs, log) {
			n := i
			for _, c := range prefix {
				n += int(c)
			}
			log = logs[n%len(logs)]
		}
		out = append(out, inputLine{log, body})
	}
	return out
}

// feedLines hands the lines to the engine by both entry points: every
// other line by RecordShared, as the analyzer does, half of those parsed
// first (another consumer read it before the engine); the rest by Record.
func feedLines(e *Engine, lines []inputLine) {
	var s rec.Shared
	for i, l := range lines {
		switch i % 4 {
		case 0:
			s.Reset(l.log, l.json)
			e.RecordShared(&s)
		case 1:
			s.Reset(l.log, l.json)
			_, _ = s.Rec()
			e.RecordShared(&s)
		default:
			e.Record(l.log, l.json)
		}
	}
}

// template is a record of the input that the bulk records are made from:
// its members in order, each encoded once.
type template struct {
	log    string
	fields map[string]any
	keys   []string
	enc    map[string][]byte
}

func newTemplate(log string, fields map[string]any) template {
	t := template{log: log, fields: fields, enc: make(map[string][]byte, len(fields))}
	for k, v := range fields {
		t.keys = append(t.keys, k)
		t.enc[k], _ = json.Marshal(v)
	}
	slices.Sort(t.keys)
	return t
}

// encode writes the template with the values of set in place of its own.
func (t *template) encode(buf []byte, set map[string]any) []byte {
	buf = append(buf[:0], '{')
	for i, k := range t.keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendQuote(buf, k)
		buf = append(buf, ':')
		if v, ok := set[k]; ok {
			b, _ := json.Marshal(v)
			buf = append(buf, b...)
		} else {
			buf = append(buf, t.enc[k]...)
		}
	}
	return append(buf, '}')
}

// feedBulk adds bulkRecords records made from the lines that are JSON
// objects (variant), in turn, through RecordShared.
func feedBulk(e *Engine, lines []inputLine, seed uint32) {
	var tmpls []template
	for _, l := range lines {
		var m map[string]any
		if json.Unmarshal(l.json, &m) == nil && m != nil {
			tmpls = append(tmpls, newTemplate(l.log, m))
		}
	}
	if len(tmpls) == 0 {
		return
	}
	var s rec.Shared
	var buf []byte
	set := map[string]any{}
	for i := range bulkRecords {
		t := &tmpls[i%len(tmpls)]
		clear(set)
		variant(set, t.fields, i, seed)
		buf = t.encode(buf, set)
		s.Reset(t.log, buf)
		e.RecordShared(&s)
	}
}

// variant sets in m the members of the i-th record made from fields: later
// in time, with a new uid, and by i%4 (names: i%8) with new sources,
// destinations, destination ports and names, so that the detectors see
// many distinct keys and many distinct values under one key (sources of
// one victim, subdomains of one domain, targets of one scanner,
// connections of one pair). Only members fields has are set.
func variant(m, fields map[string]any, i int, seed uint32) {
	mode := i % 4
	n := uint32(i) + 1
	ts, ok := fields["ts"].(float64)
	if !ok {
		ts = 1.7e9
	}
	setIf(m, fields, "ts", ts+float64(i)*(0.05+float64(seed%1000)/100))
	setIf(m, fields, "uid", fmt.Sprintf("B%x-%d", seed, i))
	if mode == 0 || mode == 2 {
		for _, k := range []string{"id.orig_h", "src", "src_ip"} {
			setAddr(m, fields, k, true, n, seed)
		}
		setIf(m, fields, "src_mac", fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", byte(seed), byte(seed>>8), byte(n>>16), byte(n>>8), byte(n)))
	}
	if mode == 0 || mode == 1 {
		for _, k := range []string{"id.resp_h", "dst", "dst_ip"} {
			setAddr(m, fields, k, false, n, seed)
		}
		fp := fmt.Sprintf("%08x%056x", seed, n)
		setIf(m, fields, "fingerprint", fp)
		setIf(m, fields, "cert_chain_fps", []string{fp})
	}
	if mode == 1 {
		setIf(m, fields, "id.resp_p", n%65536)
		setIf(m, fields, "dst_p", n%65536)
	}
	name := ""
	label := strconv.FormatUint(uint64(n)*0x9e3779b97f4a7c15^uint64(seed), 36)
	switch i % 8 {
	case 0, 4, 5: // a new registered domain (5: of one source)
		name = fmt.Sprintf("q%d.%s.com", i, label)
	case 1: // a new subdomain of one domain
		name = fmt.Sprintf("%s.r%x.net", label, seed)
	}
	if name != "" {
		for _, k := range []string{"query", "host", "server_name"} {
			setIf(m, fields, k, name)
		}
		setIf(m, fields, "certificate.subject", "CN="+name)
		setIf(m, fields, "user", fmt.Sprintf("u%d", i))
		setIf(m, fields, "password", fmt.Sprintf("p%d", i))
	}
}

// setIf sets m[k] to v where fields has k.
func setIf(m, fields map[string]any, k string, v any) {
	if _, ok := fields[k]; ok {
		m[k] = v
	}
}

// setAddr sets m[k], where fields has an address there, to the n-th
// address of a family derived from seed: internal (10/8, fd00::/8) for
// sources, external for destinations, IPv6 where the field held IPv6.
func setAddr(m, fields map[string]any, k string, internal bool, n, seed uint32) {
	v, ok := fields[k]
	if !ok {
		return
	}
	s, _ := v.(string)
	v6 := strings.Contains(s, ":")
	switch {
	case v6 && internal:
		m[k] = fmt.Sprintf("fd%02x::%x:%x", byte(seed), seed>>8, n)
	case v6:
		m[k] = fmt.Sprintf("2001:db8:%x::%x", seed&0xffff, n)
	case internal:
		m[k] = fmt.Sprintf("10.%d.%d.%d", byte(seed)^byte(n>>16), byte(n>>8), byte(n))
	default:
		m[k] = fmt.Sprintf("45.%d.%d.%d", byte(seed)^byte(n>>16), byte(n>>8), byte(n))
	}
}

func fnv32(b []byte) uint32 {
	h := fnv.New32a()
	h.Write(b)
	return h.Sum32()
}

// checkOutput checks the alert and incident lines the engine wrote.
func checkOutput(t *testing.T, e *Engine, out *lineCollector, known map[string]bool) {
	t.Helper()
	st := e.Stats()
	alerts := out.lines["alerts"]
	if uint64(len(alerts)) != st.Alerts || len(e.Alerts()) != len(alerts) {
		t.Fatalf("%d alert lines, %d alerts kept, stats say %d", len(alerts), len(e.Alerts()), st.Alerts)
	}
	for _, line := range alerts {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("alert line is not JSON: %v: %s", err, line)
		}
		if m["error"] != nil {
			t.Fatalf("alert not marshalled: %s", line)
		}
		class, _ := m["class"].(string)
		if !known[class] {
			t.Fatalf("alert of class %q, not in the catalogue: %s", class, line)
		}
		if _, err := alert.Parse([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range e.Alerts() {
		if eve := a.EVE(); !json.Valid(eve) {
			t.Fatalf("EVE of %s is not JSON: %s", a.Class, eve)
		}
	}
	incidents := out.lines["incidents"]
	if uint64(len(incidents)) != st.Incidents {
		t.Fatalf("%d incident lines, stats say %d", len(incidents), st.Incidents)
	}
	for _, line := range incidents {
		if !json.Valid([]byte(line)) {
			t.Fatalf("incident line is not JSON: %s", line)
		}
	}
	if st.Parsed+st.ParseErrors > st.Records {
		t.Fatalf("stats %+v", st)
	}
}

// FuzzLoadState gives hostile input to LoadState, as a whole state file
// (Engine.LoadState) and as each persisting detector's own section
// (Persistent.LoadState, which a fuzzer could not reach through the
// file's checksums). Nothing may panic; a state refused must leave no
// state behind; what is loaded must stay under the detectors' bounds
// (fuzzConfig's caps, stateBounds); and the engines must go on with
// records and close. The seeds are the state of stateSeedStream (the
// file and each section: small, as the fuzzer minimizes every input that
// finds new code) and testdata/fuzz/FuzzLoadState.
func FuzzLoadState(f *testing.F) {
	cfg := fuzzConfig(f)
	// The DGA detector persists too. Its model is parsed once for all
	// engines (dga.Shared), and only a few records follow each load.
	cfg.DGA.Enabled = true
	e, err := New(cfg, Output{})
	if err != nil {
		f.Fatal(err)
	}
	feed(e, stateSeedStream())
	_, after := split(restartStream(), restartAt)
	var buf bytes.Buffer
	if err := e.SaveState(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(appendEndSection(slices.Clone(buf.Bytes()), []uint64{1, 2}))
	for _, d := range e.detectors {
		if p, ok := d.(Persistent); ok {
			var sec bytes.Buffer
			if err := p.SaveState(&sec); err != nil {
				f.Fatal(err)
			}
			f.Add(sec.Bytes())
		}
	}
	// fuzzConfig's scan budget is too small for a source's episode, so
	// no slow record is made by records there: one made under a larger
	// budget (a record of one probe, which fuzzConfig can hold).
	sc := cfg.Scan
	sc.MaxEntries = 100
	slow := scan.New(sc, nil)
	dt.RunRestarted(f, slow, scan.New(sc, nil), stateSeedStream(), math.Inf(1))
	var sec bytes.Buffer
	if err := slow.SaveState(&sec); err != nil {
		f.Fatal(err)
	}
	f.Add(sec.Bytes())
	e.Close()
	if len(after) > 40 {
		after = after[:40]
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, err := New(cfg, Output{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := whole.LoadState(bytes.NewReader(data)); err != nil && heldState(whole) != 0 {
			t.Fatalf("a refused state file left %d entries of state: %v", heldState(whole), err)
		}
		checkStateBounds(t, whole)
		each, err := New(cfg, Output{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range each.detectors {
			p, ok := d.(Persistent)
			if !ok {
				continue
			}
			held := maps.Clone(stateSizes(d))
			if err := p.LoadState(bytes.NewReader(data)); err != nil && !maps.Equal(held, stateSizes(d)) {
				t.Fatalf("%s: a refused state changed the detector: %v", d.Name(), err)
			}
		}
		checkStateBounds(t, each)
		for _, e := range []*Engine{whole, each} {
			feed(e, after)
			e.Flush(math.MaxInt64)
			checkStateBounds(t, e)
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// stateSeedStream is a little of what each persisting detector keeps: a
// beacon pair's check-ins and first sightings, a slow scan's probe, a
// host's baseline and open interval, a tunnel's piece, a DNS tunnel's
// tally and a DGA's slow count (one name each).
func stateSeedStream() []dt.Line {
	var l []dt.Line
	for i := range 3 {
		l = append(l, dt.Conn{TS: 1000 + float64(i)*300, Src: "10.66.0.30", Dst: "198.51.100.66", DstP: 443, OrigBytes: 310, RespBytes: 800}.Line())
	}
	l = append(l, dt.Conn{TS: 1100, Src: "10.66.0.31", Dst: "2001:db8::1", DstP: 80, OrigBytes: 100}.Line())
	l = append(l, dt.Conn{TS: 1200, Src: "10.66.0.66", Dst: "10.66.0.20", DstP: 22, State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
	l = append(l, dt.Conn{TS: 1300, Src: "10.1.0.5", Dst: "203.0.113.1", DstP: 443, OrigBytes: 3_000_000, RespBytes: 10_000}.Line())
	l = append(l, dt.Conn{TS: 2000, Src: "10.1.0.5", Dst: "203.0.113.2", DstP: 443, OrigBytes: 2_000_000, RespBytes: 10_000}.Line())
	l = append(l, dt.Conn{TS: 1500, UID: "Cpiece", Src: "10.0.0.7", Dst: "203.0.113.250", DstP: 4444, Duration: 1200, OrigBytes: 1e5, RespBytes: 2e5}.Line())
	l = append(l, dt.Rec("dns", map[string]any{"ts": 1600.0, "uid": "T", "id.orig_h": "10.66.0.42", "id.resp_h": "10.66.0.53", "id.resp_p": 53,
		"query": "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpi.t.slowdrip.org", "qtype_name": "TXT"}))
	l = append(l, dt.Rec("dns", map[string]any{"ts": 1700.0, "uid": "G", "id.orig_h": "10.66.0.21", "id.resp_h": "10.66.0.53", "id.resp_p": 53,
		"query": "xkqjvbzrwmtplc.com", "rcode_name": "NXDOMAIN"}))
	return l
}
