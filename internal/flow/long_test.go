package flow

import (
	"slices"
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
// jump of the clock past an age it has not lasted writes nothing, and the
// connection ends idle; without LongDurations nothing is written.
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
		if c.OrigH.String() != "10.0.0.1" || c.Duration < 10*sec {
			t.Fatalf("conn_long record %+v", c)
		}
		ages = append(ages, c.Duration/sec)
	}
	// Due at 10, 20, 50 and 80 s, a timer runs before the packet of that
	// second, which the connection has not lasted yet: it is written at
	// the next packet (see TestConnLongLastedAge).
	if want := []int64{10, 20, 50, 80}; !slices.Equal(ages, want) {
		t.Fatalf("conn_long at ages %v s, want %v", ages, want)
	}
	uid := s.long[0].UID
	// A jump of an hour past the age of 110 s, which it did not last
	// (its last packet at 100 s): it ends idle.
	tb.Expire(base + 3700*sec)
	if len(s.long) != 4 {
		t.Fatalf("%d conn_long records after an hour's jump, want 4", len(s.long))
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

// TestConnLongLastedAge: as Corelight's long-connections package, a
// conn_long record is written once the connection has lasted the age (its
// duration, to its last packet, at least the age), so that a record of
// the hour is an hour long: a connection with a packet every 20 s is
// written at the first packet past each age. Before, the record stood at
// the packet before the age (3580 s at the hour), and the long-connection
// detector (an hour) waited for the record of two hours.
func TestConnLongLastedAge(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LongDurations, cfg.LongRepeat = []time.Duration{10 * time.Minute, time.Hour}, 0
	s := &longSink{}
	tb, err := NewTable(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i <= 3700; i++ {
		if i%20 == 0 {
			tb.Update(&Input{TS: base + i*sec, D: udp("10.0.0.1:5000", "10.0.0.2:9999", 20)})
		}
		tb.Expire(base + i*sec)
	}
	var ages []int64
	for _, c := range s.long {
		ages = append(ages, c.Duration/sec)
	}
	if want := []int64{600, 3600}; !slices.Equal(ages, want) {
		t.Fatalf("conn_long records of %v s, want %v", ages, want)
	}

	// Ages its duration passed between two packets are written once.
	cfg.LongDurations = []time.Duration{10 * time.Second, 11 * time.Second, 12 * time.Second}
	s = &longSink{}
	if tb, err = NewTable(cfg, s); err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i <= 30; i++ {
		if i%5 == 0 {
			tb.Update(&Input{TS: base + i*sec, D: udp("10.0.0.1:5000", "10.0.0.2:9999", 20)})
		}
		tb.Expire(base + i*sec)
	}
	ages = ages[:0]
	for _, c := range s.long {
		ages = append(ages, c.Duration/sec)
	}
	if want := []int64{10, 15}; !slices.Equal(ages, want) {
		t.Fatalf("conn_long records of %v s with ages 10, 11 and 12 s, want %v", ages, want)
	}
}
