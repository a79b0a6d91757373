package stream

import (
	"bytes"
	"testing"
)

// collector records what a Side delivers, with gaps as '#' bytes.
type collector struct{ out []byte }

func (c *collector) Deliver(b []byte) { c.out = append(c.out, b...) }
func (c *collector) Gap(n int)        { c.out = append(c.out, bytes.Repeat([]byte{'#'}, n)...) }

type seg struct {
	seq  uint32
	syn  bool
	data string
}

func TestSide(t *testing.T) {
	const isn = 1000
	tests := []struct {
		name         string
		segs         []seg
		want         string // after Flush
		inconsistent uint64
	}{
		{"in order", []seg{{isn, true, ""}, {isn + 1, false, "hello "}, {isn + 7, false, "world"}}, "hello world", 0},
		{"retransmission", []seg{{isn + 1, false, "hello "}, {isn + 1, false, "hello "}, {isn + 7, false, "world"}}, "hello world", 0},
		{"partial overlap", []seg{{isn + 1, false, "hello "}, {isn + 4, false, "lo world"}}, "hello world", 0},
		{"out of order", []seg{{isn, true, ""}, {isn + 7, false, "world"}, {isn + 1, false, "hello "}}, "hello world", 0},
		{"hole given up at the end", []seg{{isn, true, ""}, {isn + 1, false, "hel"}, {isn + 7, false, "world"}}, "hel###world", 0},
		{"conflicting retransmission", []seg{{isn + 1, false, "hello "}, {isn + 1, false, "HELLO "}}, "hello ", 5},
		{"sequence wrap", []seg{{0xfffffffe, false, "abcd"}, {2, false, "efgh"}}, "abcdefgh", 0},
		{"syn with data", []seg{{isn, true, "abc"}, {isn + 4, false, "def"}}, "abcdef", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Side
			var c collector
			for _, g := range tc.segs {
				s.Segment(g.seq, g.syn, []byte(g.data), &c)
			}
			s.Flush(&c)
			if string(c.out) != tc.want {
				t.Errorf("got %q, want %q", c.out, tc.want)
			}
			if s.Stats.Inconsistent != tc.inconsistent {
				t.Errorf("inconsistent = %d, want %d", s.Stats.Inconsistent, tc.inconsistent)
			}
		})
	}
}

func TestAckGivesUpHole(t *testing.T) {
	var s Side
	var c collector
	s.Segment(1000, true, nil, &c)
	s.Segment(1001, false, []byte("abc"), &c)
	s.Segment(1007, false, []byte("ghi"), &c) // "def" lost before the capture
	s.Acked(1004, &c)                         // acks only what was delivered: wait
	if string(c.out) != "abc" {
		t.Fatalf("after a partial ack: %q", c.out)
	}
	s.Acked(1010, &c) // the peer got everything: the hole is gone for good
	if string(c.out) != "abc###ghi" || s.Stats.Gaps != 3 {
		t.Fatalf("after the ack past the hole: %q, gaps %d", c.out, s.Stats.Gaps)
	}
}

func TestBufferBoundGivesUpHoles(t *testing.T) {
	var s Side
	var c collector
	s.Segment(0, false, []byte("x"), &c)
	chunk := bytes.Repeat([]byte("a"), 8192)
	// Everything after a 1-byte hole: the buffer fills, the hole is skipped.
	for i := 0; i < 40; i++ {
		s.Segment(uint32(2+i*len(chunk)), false, chunk, &c)
		if len(s.buf) > MaxBuffered || len(s.pend) > maxPending {
			t.Fatalf("buffer %d bytes / %d segments over its bound", len(s.buf), len(s.pend))
		}
	}
	s.Flush(&c)
	if s.Stats.Gaps != 1 {
		t.Errorf("gaps = %d, want the 1-byte hole", s.Stats.Gaps)
	}
	if got, want := len(c.out), 2+40*len(chunk); got != want {
		t.Errorf("delivered %d bytes (with gaps), want %d", got, want)
	}
}

func TestBudgetBoundsManySides(t *testing.T) {
	budget := &Budget{Max: 10000}
	sides := make([]Side, 50)
	var c collector
	chunk := bytes.Repeat([]byte("z"), 1000)
	for i := range sides {
		s := &sides[i]
		s.Budget = budget
		s.Segment(0, false, []byte("x"), &c)
		for j := 0; j < 5; j++ {
			s.Segment(uint32(2+j*1000), false, chunk, &c) // behind a 1-byte hole
			if budget.Used > budget.Max {
				t.Fatalf("budget used %d > max %d", budget.Used, budget.Max)
			}
		}
	}
	for i := range sides {
		sides[i].Flush(&c)
		sides[i].Reset()
	}
	if budget.Used != 0 {
		t.Errorf("budget used %d after every side was flushed and reset", budget.Used)
	}
}

// FuzzSide feeds a known stream cut into segments in a fuzzed order with
// fuzzed retransmissions; what is delivered must match the stream wherever
// it is not a gap, and delivery plus gaps never exceed the stream.
func FuzzSide(f *testing.F) {
	f.Add([]byte{0, 10, 5, 20, 3, 7, 1, 1})
	f.Add([]byte{9, 9, 9, 9, 0, 0, 0, 0, 255, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		stream := make([]byte, 4096)
		for i := range stream {
			stream[i] = byte('a' + i%26)
		}
		budget := &Budget{Max: 1 << 10}
		s := Side{Budget: budget}
		c := &collector{}
		for i := 0; i+1 < len(ops); i += 2 {
			start := int(ops[i]) * 16 % len(stream)
			end := min(start+int(ops[i+1])%200+1, len(stream))
			s.Segment(uint32(start), false, stream[start:end], c)
			if ops[i+1]%7 == 0 { // now and then the peer acknowledges
				s.Acked(uint32(int(ops[i+1])*8%len(stream)), c)
			}
			// drain skips a side that holds nothing: its buffer is empty.
			if len(s.pend) == 0 && len(s.buf) != 0 || budget.Used != len(s.buf) {
				t.Fatalf("%d held segments, %d buffered bytes, budget %d", len(s.pend), len(s.buf), budget.Used)
			}
		}
		s.Flush(c)
		if budget.Used != 0 {
			t.Fatalf("budget %d after Flush", budget.Used)
		}
		if len(c.out) > len(stream) {
			t.Fatalf("delivered %d bytes from a %d-byte stream", len(c.out), len(stream))
		}
		first := uint32(0)
		if len(ops) >= 2 {
			first = uint32(int(ops[0]) * 16 % len(stream))
		}
		for i, b := range c.out {
			if b != '#' && b != stream[int(first)+i] {
				t.Fatalf("byte %d is %q, stream has %q", i, b, stream[int(first)+i])
			}
		}
	})
}
