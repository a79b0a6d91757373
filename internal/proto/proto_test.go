package proto

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/netset"
)

// TestRenew: a renewed ConnInfo formats the uid and id.* fields of its new
// connection, in both roles, though it reuses the room of the old ones.
func TestRenew(t *testing.T) {
	a := ConnInfo{UID: "CAAAAAAAAAAAAAAAAA1", OrigH: netip.MustParseAddr("2001:db8::1"), OrigP: 1,
		RespH: netip.MustParseAddr("2001:db8::2"), RespP: 2, Transport: 17}
	b := ConnInfo{UID: "Cb", OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 3,
		RespH: netip.MustParseAddr("10.0.0.2"), RespP: 4, Transport: 17}
	fresh := b
	want := string(AppendConnHeaderRoles(nil, 5, &fresh, false))
	wantFlipped := string(AppendConnHeaderRoles(nil, 5, &fresh, true))
	ci := a
	AppendConnHeaderRoles(nil, 5, &ci, false)
	AppendConnHeaderRoles(nil, 5, &ci, true)
	ci.Renew(b)
	if got := string(AppendConnHeaderRoles(nil, 5, &ci, false)); got != want {
		t.Errorf("renewed: %s, want %s", got, want)
	}
	if got := string(AppendConnHeaderRoles(nil, 5, &ci, true)); got != wantFlipped {
		t.Errorf("renewed, flipped: %s, want %s", got, wantFlipped)
	}
}

func TestSharedRecent(t *testing.T) {
	const hour = int64(3600e9)
	s := NewShared()
	steps := []struct {
		key  string
		ts   int64
		want bool
	}{
		{"a", 0, false},         // first sight marks it
		{"a", hour, true},       // within the window
		{"b", hour, false},      // another key
		{"a", 25 * hour, false}, // window passed: marked again
		{"a", 26 * hour, true},
		{"a", 10 * hour, false}, // time went backwards: not "recent"
	}
	for i, st := range steps {
		if got := s.Recent(st.key, st.ts, 24*hour); got != st.want {
			t.Errorf("step %d: Recent(%q, %d) = %v, want %v", i, st.key, st.ts, got, st.want)
		}
	}
	var none *Shared
	if none.Recent("a", 0, hour) || none.Recent("a", 0, hour) {
		t.Error("a nil Shared must remember nothing")
	}
	for i := 0; i < maxShared+10; i++ {
		s.Recent(fmt.Sprint(i), 0, hour)
	}
	if len(s.seen) > maxShared || len(s.order) > maxShared {
		t.Errorf("Shared holds %d keys, bound is %d", len(s.seen), maxShared)
	}
}

// Shared.IsLocal is Zeek's Site::is_local_addr: the private address space
// when the site names nothing, its own networks beside it when it does.
func TestSharedIsLocal(t *testing.T) {
	site, err := netset.ZeekLocal([]string{"141.42.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	withSite := NewShared()
	withSite.Local = site
	for _, c := range []struct {
		addr          string
		bare, withNet bool
	}{
		{"10.1.2.3", true, true},
		{"203.0.113.9", true, true},   // TEST-NET-3
		{"2002:a00:1::1", true, true}, // 10.0.0.1 as 6to4
		{"::ffff:192.168.1.1", true, true},
		{"141.42.64.1", false, true},
		{"93.184.216.34", false, false},
		{"2a00:1450::1", false, false},
	} {
		a := netip.MustParseAddr(c.addr)
		var none *Shared
		if got := none.IsLocal(a); got != c.bare {
			t.Errorf("nil Shared: IsLocal(%s) = %v, want %v", a, got, c.bare)
		}
		if got := withSite.IsLocal(a); got != c.withNet {
			t.Errorf("with the site's networks: IsLocal(%s) = %v, want %v", a, got, c.withNet)
		}
	}
}
