package assets

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// TestMemoSlot: a slot holds exactly the last text it took, whatever its
// length (kept whole in the slot, or its head there and the rest behind).
func TestMemoSlot(t *testing.T) {
	long := "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
	texts := []string{"", "a", "CAn2uhHZZoQh", "0123456789abcdef", "0123456789abcdefg",
		"2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", long,
		strings.Replace(long, "128", "129", 1), long[:16] + "x"}
	for _, took := range texts {
		for _, share := range []bool{false, true} {
			var s memoSlot[int]
			text := "other"
			if share {
				text = took
			}
			s.take([]byte(took), len(took)+1, text)
			for _, asked := range texts {
				if got, want := s.holds([]byte(asked)), asked == took; got != want {
					t.Errorf("slot took %q (shared %v): holds(%q) = %v, want %v", took, share, asked, got, want)
				}
			}
			if s.val != len(took)+1 {
				t.Errorf("slot took %q: value %d", took, s.val)
			}
		}
	}
}

// TestMemoSlotOwnsItsText: what a slot keeps does not change when the
// bytes it took from are reused (records' lines are).
func TestMemoSlotOwnsItsText(t *testing.T) {
	for _, text := range []string{"CAn2uhHZZoQh", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"} {
		buf := []byte(text)
		var s memoSlot[string]
		s.take(buf, text, "")
		for i := range buf {
			buf[i] = 'x'
		}
		if !s.holds([]byte(text)) || s.holds(buf) {
			t.Errorf("slot of %q changed with the bytes it took", text)
		}
	}
}

// TestHeadEqual compares headEqual with a byte comparison for every
// length and every position of a difference.
func TestHeadEqual(t *testing.T) {
	var head [memoHeadLen]byte
	copy(head[:], "0123456789abcdef")
	for n := 0; n <= memoHeadLen; n++ {
		b := []byte(string(head[:n]))
		if !headEqual(&head, b) {
			t.Errorf("headEqual(%q) = false", b)
		}
		for i := 0; i < n; i++ {
			c := append([]byte(nil), b...)
			c[i] ^= 0x20
			if headEqual(&head, c) {
				t.Errorf("headEqual(%q) = true against %q", c, head[:n])
			}
		}
	}
}

// TestKeepUsed checks that the names keepUsed remembers follow uidNames:
// a repeated request skips the lookups, and once the conn record took
// the uid's name, the next request of that uid keeps it again.
func TestKeepUsed(t *testing.T) {
	inv := newInv(t, nil)
	if got := inv.keepUsed("C1", "Example.COM."); got != "example.com" {
		t.Fatalf("keepUsed = %q", got)
	}
	if got := inv.keepUsed("C1", "Example.COM."); got != "example.com" || inv.uidNames["C1"] != "example.com" {
		t.Fatalf("again: %q, uidNames %q", got, inv.uidNames["C1"])
	}
	if got := inv.keepUsed("C1", "other.org"); got != "other.org" || inv.uidNames["C1"] != "other.org" {
		t.Fatalf("another host: %q, uidNames %q", got, inv.uidNames["C1"])
	}
	if got := inv.keepUsed("C1", "10.0.0.1:80"); got != "" || inv.uidNames["C1"] != "other.org" {
		t.Fatalf("an address: %q, uidNames %q", got, inv.uidNames["C1"])
	}
	if got := inv.keepUsed("", "x.net"); got != "x.net" || len(inv.uidNames) != 1 {
		t.Fatalf("no uid: %q, %d names", got, len(inv.uidNames))
	}
	for i := len(inv.uidNames); i < maxUIDNames; i++ { // full: cleared, as before
		inv.uidNames[strconv.Itoa(i)] = "n"
	}
	if got := inv.keepUsed("C1", "other.org"); got != "other.org" || len(inv.uidNames) != 1 || inv.uidNames["C1"] != "other.org" {
		t.Fatalf("when full: %q, %d names", got, len(inv.uidNames))
	}
	delete(inv.uidNames, "C1") // as onConn takes it
	inv.kept.forget("C1")
	if got := inv.keepUsed("C1", "other.org"); got != "other.org" || inv.uidNames["C1"] != "other.org" {
		t.Fatalf("after the conn record: %q, uidNames %q", got, inv.uidNames["C1"])
	}
}

// TestPortText checks portText's texts, for ports that share a slot too.
func TestPortText(t *testing.T) {
	inv := newInv(t, nil)
	for _, c := range []struct {
		proto string
		port  uint16
		want  string
	}{{"tcp", 443, "tcp/443"}, {"udp", 443, "udp/443"}, {"tcp", 443 + portTextSlots, "tcp/699"}, {"tcp", 443, "tcp/443"}, {"tcp", 0, "tcp/0"}} {
		if got := inv.portText(c.proto, c.port); got != c.want {
			t.Errorf("portText(%s, %d) = %q, want %q", c.proto, c.port, got, c.want)
		}
	}
}

// TestLeadingIDs: a record that starts with ts, uid and the id fields in
// Vigil's order decodes as one whose fields come in another order, and a
// key that repeats later still keeps its last value.
func TestLeadingIDs(t *testing.T) {
	const ids = `"ts":5.25,"uid":"CAn2uhHZZoQh","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"2001:db8::1","id.resp_p":443`
	inv := newInv(t, nil)
	type decoded struct {
		ts        float64
		uid, host string
		id        connID
	}
	decode := func(line string) decoded {
		var r appRec
		if err := inv.decodeApp([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		return decoded{r.ts, r.uid, r.host, r.id}
	}
	want := decode(`{"uid":"CAn2uhHZZoQh","ts":5.25,"id.resp_p":443,"id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"2001:db8::1","host":"a.example"}`)
	if got := decode(`{` + ids + `,"host":"a.example"}`); got != want {
		t.Errorf("in Vigil's order: %+v, want %+v", got, want)
	}
	if want.ts != 5.25 || want.uid != "CAn2uhHZZoQh" || want.id.respP != 443 || want.id.respH != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("decoded %+v", want)
	}
	again := decode(`{` + ids + `,"host":"a.example","ts":7,"id.orig_h":"10.0.0.2"}`)
	if again.ts != 7 || again.id.origH != netip.MustParseAddr("10.0.0.2") || again.id.respP != 443 {
		t.Errorf("repeated keys: %+v", again)
	}
	short := decode(`{"ts":5.25,"uid":"x","id.orig_h":"10.0.0.1"}`)
	if short.ts != 5.25 || short.uid != "x" || short.id.origH != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("fewer fields: %+v", short)
	}
}

// TestSYNVerdict: the verdict kept for a fingerprint is the one the rules
// give, whichever fingerprints came before it (each field of the
// fingerprint changes it).
func TestSYNVerdict(t *testing.T) {
	inv := newInv(t, nil)
	base := synRec{src: netip.MustParseAddr("10.0.0.1"), ttl: 64, win: 64240, mss: 1460, wscale: 7, df: true,
		opts: "M,S,T,N,W"}
	var recs []synRec
	for _, change := range []func(*synRec){
		func(*synRec) {},
		func(r *synRec) { r.ttl = 128 },
		func(r *synRec) { r.ttl = 60 },
		func(r *synRec) { r.win = 65535 },
		func(r *synRec) { r.win = 8192 },
		func(r *synRec) { r.mss = 1400 },
		func(r *synRec) { r.wscale = -1 },
		func(r *synRec) { r.wscale = 8 },
		func(r *synRec) { r.df = false },
		func(r *synRec) { r.ack = true },
		func(r *synRec) { r.src = netip.MustParseAddr("2001:db8::1") },
		func(r *synRec) { r.opts = "M,N,W,N,N,S" },
		func(r *synRec) { r.opts = "M,N,W,N,N,T,S,E,E"; r.win = 65535; r.wscale = 6 },
	} {
		r := base
		change(&r)
		recs = append(recs, r)
	}
	for round := 0; round < 2; round++ {
		for i := range recs {
			r := &recs[i]
			side := "syn"
			if r.ack {
				side = "synack"
			}
			init := initialTTL(r.ttl)
			rule, conf := inv.rules.bestTCP(r, side, init)
			v := inv.synVerdict(r)
			if v.rule != rule || v.conf != conf || v.ttl != strconv.Itoa(r.ttl) || v.win != strconv.Itoa(r.win) ||
				v.mss != strconv.Itoa(r.mss) || v.wscale != strconv.Itoa(r.wscale) || v.init != strconv.Itoa(init) {
				t.Errorf("round %d, %+v: verdict %+v, want rule %v conf %v", round, *r, *v, rule, conf)
			}
		}
	}
}
