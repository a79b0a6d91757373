package analyze

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// orderCollector keeps the log names of the records it is handed, in order.
type orderCollector struct{ logs []string }

func (c *orderCollector) Record(log string, _ []byte) { c.logs = append(c.logs, log) }

// TestWriterOrderAndLines: consumers get one producer's records in the
// order they were made, whatever their logs; each log file gets its own
// lines; a raw newline inside a line (white space to JSON) cannot split
// it; facts reach the consumers but no file.
func TestWriterOrderAndLines(t *testing.T) {
	dir := t.TempDir()
	col := &orderCollector{}
	w, err := newWriter(dir, []Consumer{col}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	s := newLogSink(w, newHostStats())
	s.Record("http", []byte(`{"n":1}`))
	s.Record("_syn", []byte(`{"n":2}`))
	s.Record("dns", []byte("{\"n\":\n3}"))
	s.Record("http", []byte(`{"n":4}`))
	s.flush()
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if got := col.logs; len(got) != 4 || got[0] != "http" || got[1] != "_syn" || got[2] != "dns" || got[3] != "http" {
		t.Errorf("consumers got %v", got)
	}
	for name, want := range map[string]string{"http": "{\"n\":1}\n{\"n\":4}\n", "dns": "{\"n\": 3}\n"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".log"))
		if err != nil || string(b) != want {
			t.Errorf("%s.log = %q (%v), want %q", name, b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "_syn.log")); err == nil {
		t.Error("a fact was written to a file")
	}
}

// clockCollector is a consumer that keeps time (Clocked).
type clockCollector struct {
	orderCollector
	ticks chan int64
}

func (c *clockCollector) Advance(now int64) {
	select {
	case c.ticks <- now:
	default:
	}
}

// TestWriterAdvancesClocks: a live run's writer hands the wall clock to
// the consumers that keep time; an offline one never does.
func TestWriterAdvancesClocks(t *testing.T) {
	for _, every := range []time.Duration{5 * time.Millisecond, 0} {
		c := &clockCollector{ticks: make(chan int64, 1)}
		w, err := newWriter(t.TempDir(), []Consumer{c}, every, false)
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		select {
		case got = <-c.ticks:
		case <-time.After(100 * time.Millisecond):
		}
		if err := w.close(); err != nil {
			t.Fatal(err)
		}
		switch now := time.Now().UnixNano(); {
		case every > 0 && (got <= 0 || got > now):
			t.Errorf("live writer: Advance(%d), now %d", got, now)
		case every == 0 && got != 0:
			t.Errorf("offline writer called Advance(%d)", got)
		}
	}
}
