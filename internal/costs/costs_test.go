package costs

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTableSumsByPartAndLog(t *testing.T) {
	var tb Table
	tb.Add("assets", "conn", 3*time.Microsecond)
	tb.Add("assets", "conn", 1*time.Microsecond)
	tb.Add("detect", "conn", 10*time.Microsecond)
	tb.Add("assets", "http", 2*time.Microsecond)
	got := tb.Entries()
	want := []Entry{
		{"detect", "conn", 1, 10 * time.Microsecond},
		{"assets", "conn", 2, 4 * time.Microsecond},
		{"assets", "http", 1, 2 * time.Microsecond},
	}
	if len(got) != len(want) {
		t.Fatalf("entries %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if d := got[1].PerCall(); d != 2*time.Microsecond {
		t.Errorf("per call %v, want 2µs", d)
	}
	if d := (Entry{}).PerCall(); d != 0 {
		t.Errorf("no calls: per call %v, want 0", d)
	}
}

func TestSortTiesByName(t *testing.T) {
	e := []Entry{{"b", "x", 1, time.Millisecond}, {"a", "y", 1, time.Millisecond}, {"a", "x", 1, time.Millisecond}, {"c", "x", 1, time.Second}}
	Sort(e)
	var order []string
	for _, x := range e {
		order = append(order, x.Part+"/"+x.Log)
	}
	if got := strings.Join(order, " "); got != "c/x a/x a/y b/x" {
		t.Errorf("order %s", got)
	}
}

func TestPrint(t *testing.T) {
	entries := []Entry{
		{"detect/scan", "conn", 21127, 21300 * time.Microsecond},
		{"assets", "close", 1, 22600 * time.Microsecond},
		{"ipv6mon", "http", 66927, 1700 * time.Microsecond},
	}
	var b bytes.Buffer
	Print(&b, entries, 2)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	for i, want := range []string{"Costs ", "detect/scan", "assets", "… 1 more"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q lacks %q", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[1], "21.3 ms") || !strings.Contains(lines[1], "1008 ns each") {
		t.Errorf("scan line %q: want 21.3 ms and 1008 ns each", lines[1])
	}
	if !strings.Contains(lines[2], "22600.0 µs each") {
		t.Errorf("close line %q: want 22600.0 µs each", lines[2])
	}
	b.Reset()
	Print(&b, nil, 0)
	if b.Len() != 0 {
		t.Errorf("nothing timed printed %q", b.String())
	}
}

func TestSinceCountsTheTimeFromStart(t *testing.T) {
	var tb Table
	tb.Since("detect/scan", "conn", time.Now().Add(-3*time.Millisecond))
	e := tb.Entries()
	if len(e) != 1 || e[0].Calls != 1 || e[0].Time < 3*time.Millisecond || e[0].Time > time.Second {
		t.Errorf("entries %+v: want one call of at least 3 ms", e)
	}
}

// TestTime: Time runs the call either way and counts it only on a Table.
func TestTime(t *testing.T) {
	var nilTable *Table
	ran := 0
	nilTable.Time("detect", "close", func() { ran++ })
	var tb Table
	tb.Time("detect", "close", func() { ran++; time.Sleep(time.Millisecond) })
	if ran != 2 {
		t.Errorf("ran %d times, want 2", ran)
	}
	e := tb.Entries()
	if len(e) != 1 || e[0].Part != "detect" || e[0].Log != "close" || e[0].Calls != 1 || e[0].Time < time.Millisecond {
		t.Errorf("entries %+v, want one call of detect/close of at least 1ms", e)
	}
}
