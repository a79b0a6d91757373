package persist

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
)

// What Enc writes, Dec reads back as it was.
func TestRoundTrip(t *testing.T) {
	var e Enc
	e.U8(7)
	e.U16(65000)
	e.U32(1 << 31)
	e.U64(math.MaxUint64)
	e.I64(-5)
	e.F64(math.Inf(-1))
	e.F64(1.7e9 + 0.123456)
	e.Int(42)
	e.Bool(true)
	e.Str("beacon.example")
	addrs := []netip.Addr{{}, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fe80::1%eth0")}
	for _, a := range addrs {
		e.Addr(a)
	}
	var u alert.UIDs
	u.Add(2, []byte("Cb"))
	u.Add(1, []byte("Ca"))
	e.UIDs(&u)
	ep := alert.Episode{Last: 10, Alerted: true, LastEmit: 9}
	ep.Active(10)
	e.Episode(&ep)
	var dist domain.Distinct
	for i := range 300 {
		dist.Add(domain.Hash(fmt.Sprint(i)))
	}
	e.Distinct(&dist)

	d := NewDec(e.Bytes())
	if d.U8() != 7 || d.U16() != 65000 || d.U32() != 1<<31 || d.U64() != math.MaxUint64 || d.I64() != -5 ||
		!math.IsInf(d.F64(), -1) || d.Time() != 1.7e9+0.123456 || d.Int(42) != 42 || !d.Bool() || d.Str(64) != "beacon.example" {
		t.Fatalf("numbers and strings differ: %v", d.Err())
	}
	for _, a := range addrs {
		if got := d.Addr(); got != a {
			t.Errorf("address %v read as %v", a, got)
		}
	}
	var back alert.UIDs
	d.UIDs(&back)
	if got := back.List(); len(got) != 2 || got[0] != "Ca" || got[1] != "Cb" {
		t.Errorf("uids %v", got)
	}
	if got := d.Episode(); got.State() != ep.State() {
		t.Errorf("episode %+v, want %+v", got.State(), ep.State())
	}
	if got := d.Distinct(); got != dist || got.Count() != dist.Count() {
		t.Errorf("distinct count of %d read as %d", dist.Count(), got.Count())
	}
	if err := d.End(); err != nil {
		t.Fatal(err)
	}
}

// Dec refuses what does not fit: reads past the end, counts over their
// bound or over what the bytes left can hold, strings over their bound,
// non-finite times, booleans that are not 0 or 1, bytes left over; the
// first error sticks and later reads give zero values.
func TestRefused(t *testing.T) {
	var e Enc
	e.Int(1000)
	d := NewDec(e.Bytes())
	if n := d.Count(10_000, 8); n != 0 || !errors.Is(d.Err(), ErrTruncated) {
		t.Errorf("1000 elements of 8 bytes in 0 bytes: %d, %v", n, d.Err())
	}
	if d.U64() != 0 || d.Str(10) != "" {
		t.Error("reads after an error gave values")
	}
	for _, tc := range []struct {
		name string
		enc  func(*Enc)
		dec  func(*Dec)
		want string
	}{
		{"count over its bound", func(e *Enc) { e.Int(11) }, func(d *Dec) { d.Count(10, 0) }, "11, more than 10"},
		{"string over its bound", func(e *Enc) { e.Str("abcdef") }, func(d *Dec) { d.Str(5) }, "more than 5"},
		{"NaN time", func(e *Enc) { e.F64(math.NaN()) }, func(d *Dec) { d.Time() }, "finite"},
		{"infinite time", func(e *Enc) { e.F64(math.Inf(1)) }, func(d *Dec) { d.Time() }, "finite"},
		{"boolean 2", func(e *Enc) { e.U8(2) }, func(d *Dec) { d.Bool() }, "not a boolean"},
		{"address of 5 bytes", func(e *Enc) { e.U8(5); e.U32(0); e.U8(0) }, func(d *Dec) { d.Addr() }, "address"},
		{"missing address", func(e *Enc) { e.Addr(netip.Addr{}) }, func(d *Dec) { d.ValidAddr() }, "missing address"},
		{"other version", func(e *Enc) { e.U8(3) }, func(d *Dec) { d.Version(1) }, "state version 3, this Vigil reads version 1"},
		{"left over", func(e *Enc) { e.U16(1) }, func(d *Dec) { d.U8() }, "1 bytes left over"},
		{"truncated", func(e *Enc) { e.U16(1) }, func(d *Dec) { d.U32() }, "truncated"},
	} {
		var e Enc
		tc.enc(&e)
		d := NewDec(e.Bytes())
		tc.dec(d)
		if err := d.End(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
