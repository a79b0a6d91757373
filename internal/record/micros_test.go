package record

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// appendMicrosRef is the former appendMicros (strconv for the seconds, the
// fraction digit by digit), kept as the reference of the one-pass version.
func appendMicrosRef(dst []byte, us int64) []byte {
	if us < 0 {
		dst = append(dst, '-')
		us = -us
	}
	dst = strconv.AppendInt(dst, us/1e6, 10)
	frac := us % 1e6
	dst = append(dst, '.')
	if frac == 0 {
		return append(dst, '0')
	}
	var b [6]byte
	for i := 5; i >= 0; i-- {
		b[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 6
	for n > 1 && b[n-1] == '0' {
		n--
	}
	return append(dst, b[:n]...)
}

func TestAppendMicros(t *testing.T) {
	check := func(us int64) {
		t.Helper()
		got, want := appendMicros([]byte("x"), us), appendMicrosRef([]byte("x"), us)
		if string(got) != string(want) {
			t.Fatalf("%d: got %s, want %s", us, got, want)
		}
	}
	// Edges: zero, digit-count and fraction boundaries, trailing zeros,
	// both signs, and the largest magnitudes AppendTime and AppendInterval
	// can produce (|ns|/1000).
	edges := []int64{0, 1, 9, 10, 99, 100, 999_999, 1_000_000, 1_000_001, 1_100_000, 1_000_010,
		9_999_999, 10_000_000, 123_456_789, 1_300_475_167_096_535, 1_300_475_167_000_000,
		1_300_475_167_090_000, 1_300_475_167_000_005, minEpoch, maxEpoch, minEpoch + 999_999, maxEpoch - 1_000_000,
		math.MaxInt64 / 1000, math.MinInt64 / 1000}
	for _, e := range edges {
		for d := int64(-3); d <= 3; d++ {
			check(e + d)
			check(-(e + d))
		}
	}
	for p := int64(1); p > 0 && p <= math.MaxInt64/10; p *= 10 {
		for _, v := range []int64{p - 1, p, p + 1, 5 * p} {
			check(v)
			check(-v)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		v := r.Int64N(math.MaxInt64/1000 + 1)
		switch r.IntN(5) {
		case 0:
			v %= 1e6 // fractions alone
		case 1:
			v -= v % int64(math.Pow10(r.IntN(7))) // trailing zeros
		case 2:
			v %= 2e15 // epoch times up to the 2030s
		case 3:
			v = minEpoch + v%(maxEpoch-minEpoch) // ten digits of seconds
			v -= v % int64(math.Pow10(r.IntN(7)))
		}
		check(v)
		check(-v)
	}
}

func TestAppendTimeInterval(t *testing.T) {
	for _, c := range []struct {
		ns         int64
		time, intv string
	}{
		{0, "0.0", "0.0"},
		{1300475167096535000, "1300475167.096535", "1300475167.096535"},
		{1300475167096535999, "1300475167.096535", "1300475167.096536"},
		{1_000_000_000, "1.0", "1.0"},
		{1500, "0.000001", "0.000002"},
		{-1, "-0.000001", "0.0"},
		{-1500, "-0.000002", "-0.000002"},
		{-1_000_000_000, "-1.0", "-1.0"},
		{-2_500_000_001, "-2.500001", "-2.5"},
	} {
		if got := string(AppendTime(nil, c.ns)); got != c.time {
			t.Errorf("AppendTime(%d) = %s, want %s", c.ns, got, c.time)
		}
		if got := string(AppendInterval(nil, c.ns)); got != c.intv {
			t.Errorf("AppendInterval(%d) = %s, want %s", c.ns, got, c.intv)
		}
	}
}

func TestLine(t *testing.T) {
	b := Line(nil)
	if len(b) != 0 || cap(b) != LineCap {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
	b = append(b, "abc"...)
	if c := Line(b); len(c) != 0 || &c[:1][0] != &b[0] {
		t.Fatal("Line did not reuse the buffer")
	}
}

func BenchmarkAppendTime(b *testing.B) {
	buf := make([]byte, 0, 64)
	for i := range b.N {
		buf = AppendTime(buf[:0], 1300475167096535000+int64(i)*1037)
	}
}
