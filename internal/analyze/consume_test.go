package analyze

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// sequenceConsumer writes down every record it is handed, in order, with
// the fields a SharedConsumer reads without parsing (a conn record's
// decoded fields, an http record's located ones) and a field it parses.
type sequenceConsumer struct {
	seq []string
}

func (c *sequenceConsumer) Record(log string, line []byte) {
	c.seq = append(c.seq, log+" "+string(line))
}

func (c *sequenceConsumer) RecordShared(s *rec.Shared) {
	r, err := s.Rec()
	if err != nil {
		c.seq = append(c.seq, "error "+err.Error())
		return
	}
	var typed string
	switch s.Log {
	case "conn":
		cn := r.Conn()
		typed = fmt.Sprintf("%.6f %s %v:%d>%v:%d %s %s %s %d/%d %s %s", cn.TS, cn.UID, cn.Orig, cn.OrigP, cn.Resp, cn.RespP,
			cn.Proto, cn.Service, cn.History, cn.OrigBytes, cn.RespBytes, cn.OrigL2, cn.RespL2)
	case "http":
		if h := r.HTTP(); h != nil {
			typed = fmt.Sprintf("%.6f %s %s %s", h.TS, h.UID.Raw(s.Line), h.Host.Raw(s.Line), h.UserAgent.Raw(s.Line))
		}
	}
	c.seq = append(c.seq, s.Log+" "+string(s.Line)+" | "+typed+" | "+r.Str("uid"))
}

// TestBatchedConsumersSeeWhatTheyWouldOneByOne: an inline writer hands
// its records to the consumers in batches (consume.go); whatever the
// batch's bounds, the consumers see every record, in the order written,
// with the same decoded fields as when each is handed on as it is
// written, and as a run with several workers hands them.
func TestBatchedConsumersSeeWhatTheyWouldOneByOne(t *testing.T) {
	path, _ := writeSynth(t, 30000, 2000)
	run := func(workers, recs, bytes int) []string {
		t.Helper()
		defer func(r, b int) { consumeBatchRecs, consumeBatchBytes = r, b }(consumeBatchRecs, consumeBatchBytes)
		consumeBatchRecs, consumeBatchBytes = recs, bytes
		c := &sequenceConsumer{}
		cfg := DefaultConfig()
		cfg.Workers = workers
		cfg.Consumers = []Consumer{c}
		runTo(t, cfg, path)
		return c.seq
	}
	want := run(1, 1, 1<<20) // one by one
	logs := map[string]int{}
	for _, s := range want {
		logs[s[:strings.IndexByte(s, ' ')]]++
	}
	if logs["conn"] < 100 || logs["http"] < 10 || logs["dns"] < 10 {
		t.Fatalf("too few records to compare: %v", logs)
	}
	for _, tc := range []struct {
		name                 string
		workers, recs, bytes int
	}{
		{"default bounds", 1, consumeBatchRecs, consumeBatchBytes},
		{"7 records", 1, 7, 1 << 20},
		{"4 KiB", 1, 1 << 20, 4 << 10},
		{"3 workers", 3, consumeBatchRecs, consumeBatchBytes},
	} {
		got := run(tc.workers, tc.recs, tc.bytes)
		if len(got) != len(want) {
			t.Errorf("%s: %d records handed on, want %d", tc.name, len(got), len(want))
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: record %d differs:\n got %s\nwant %s", tc.name, i, got[i], want[i])
				break
			}
		}
	}
}

// panickyConsumer panics on its at-th record and counts the others.
type panickyConsumer struct{ n, at, seen int }

func (p *panickyConsumer) Record(log string, line []byte) {
	p.n++
	if p.n == p.at {
		panic("a consumer's bug")
	}
	p.seen++
}

// TestPanickingConsumer: a consumer that panics on a record is counted as
// an internal error and handed the records after it; the logs are what a
// run without the panic writes. (The panic used to unwind the writer in
// the middle of releasing held records, which were then written twice.)
func TestPanickingConsumer(t *testing.T) {
	path, _ := writeSynth(t, 30000, 2000)
	for _, workers := range []int{1, 3} {
		cfg := DefaultConfig()
		cfg.Workers = workers
		ref := &panickyConsumer{}
		cfg.Consumers = []Consumer{ref}
		_, want := runTo(t, cfg, path)
		p := &panickyConsumer{at: 100}
		cfg.Consumers = []Consumer{p}
		sum, got := runTo(t, cfg, path)
		if sum.InternalErrs != 1 || p.seen != ref.seen-1 {
			t.Errorf("workers=%d: %d internal errors (want 1); the consumer saw %d records after its panic, want %d",
				workers, sum.InternalErrs, p.seen, ref.seen-1)
		}
		for _, log := range []string{"conn.log", "dns.log", "http.log"} {
			a, errA := os.ReadFile(filepath.Join(want, log))
			b, errB := os.ReadFile(filepath.Join(got, log))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("workers=%d: %s differs from a run without the panic (%d and %d bytes; %v %v)",
					workers, log, len(a), len(b), errA, errB)
			}
		}
	}
}

// countingConsumer counts the records it is handed, by log.
type countingConsumer struct{ n map[string]uint64 }

func (c *countingConsumer) Name() string { return "counter" }

func (c *countingConsumer) Record(log string, _ []byte) { c.n[log]++ }

// TestCostsCountEveryCall: with Config.Costs the summary lists each
// consumer's calls by log, as many as it was handed, under its Name or
// its type's package; without it, nothing.
func TestCostsCountEveryCall(t *testing.T) {
	path, _ := writeSynth(t, 30000, 2000)
	for _, workers := range []int{1, 3} {
		named := &countingConsumer{n: map[string]uint64{}}
		unnamed := &sequenceConsumer{}
		cfg := DefaultConfig()
		cfg.Workers = workers
		cfg.Consumers = []Consumer{named, unnamed}
		cfg.Costs = true
		sum, _ := runTo(t, cfg, path)
		got := map[string]uint64{}
		var unnamedCalls uint64
		for _, e := range sum.Costs {
			switch e.Part {
			case "counter":
				got[e.Log] = e.Calls
				if e.Time <= 0 {
					t.Errorf("workers=%d: %s/%s timed %v", workers, e.Part, e.Log, e.Time)
				}
			case "analyze":
				unnamedCalls += e.Calls
			default:
				t.Errorf("workers=%d: unknown part %q", workers, e.Part)
			}
		}
		if len(named.n) < 3 || fmt.Sprint(got) != fmt.Sprint(named.n) {
			t.Errorf("workers=%d: costs count %v, the consumer was handed %v", workers, got, named.n)
		}
		if unnamedCalls != uint64(len(unnamed.seq)) {
			t.Errorf("workers=%d: %d calls of the unnamed consumer timed, it was handed %d", workers, unnamedCalls, len(unnamed.seq))
		}
		cfg.Costs = false
		cfg.Consumers = []Consumer{&countingConsumer{n: map[string]uint64{}}}
		if sum, _ := runTo(t, cfg, path); sum.Costs != nil {
			t.Errorf("workers=%d: costs without Config.Costs: %v", workers, sum.Costs)
		}
	}
}
