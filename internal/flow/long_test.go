package flow

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/record"
)

// longSink is a sink that also takes conn_long records.
type longSink struct {
	sink
	long []record.Conn
}

func (s *longSink) ConnLong(c *record.Conn) {
	cp := *c
	cp.UID = strings.Clone(c.UID)
	cp.History = strings.Clone(c.History)
	s.long = append(s.long, cp)
}

// TestConnLong: a connection still open is written to conn_long at each
// age of LongDurations and then every LongRepeat, as it stands (its
// duration to its last packet, its uid), and ends in conn.log as usual; a
// jump of the clock past several ages writes it once; without
// LongDurations nothing is.
func TestConnLong(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LongDurations, cfg.LongRepeat = []time.Duration{10 * time.Second, 20 * time.Second}, 30*time.Second
	s := &longSink{}
	tb, err := NewTable(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i <= 100; i++ {
		tb.Update(&Input{TS: base + i*sec, D: udp("10.0.0.1:5000", "10.0.0.2:9999", 20)})
		tb.Expire(base + i*sec)
	}
	var ages []int64
	for _, c := range s.long {
		if c.OrigH.String() != "10.0.0.1" || c.Duration < 9*sec {
			t.Fatalf("conn_long record %+v", c)
		}
		ages = append(ages, c.Duration/sec)
	}
	// Due at 10, 20, 50 and 80 s, a timer runs before the packet of that
	// second: the record stands at the packet before (9 s …).
	if want := []int64{9, 19, 49, 79}; !equalInts(ages, want) {
		t.Fatalf("conn_long at ages %v s, want %v", ages, want)
	}
	uid := s.long[0].UID
	// A jump of an hour: written once, then the connection ends idle.
	tb.Expire(base + 3700*sec)
	if len(s.long) != 5 {
		t.Fatalf("%d conn_long records after an hour's jump, want 5", len(s.long))
	}
	if len(s.conns) != 1 || s.conns[0].UID != uid || s.conns[0].OrigPkts != 101 {
		t.Fatalf("conn records %+v", s.conns)
	}

	plain, _ := newTable(t, DefaultConfig())
	for i := int64(0); i <= 100; i++ {
		plain.Update(&Input{TS: base + i*sec, D: udp("10.0.0.1:5000", "10.0.0.2:9999", 20)})
		plain.Expire(base + i*sec)
	}
	if plain.Stats().Emitted != 0 {
		t.Fatal("a table without LongDurations emitted")
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
