package serve

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
)

// TestTimeParameters: from and to as epoch seconds, as epoch
// milliseconds (what Grafana and Akvorado send) and as RFC 3339 with an
// offset typed unencoded (its '+' arrives as a space) select the same
// flows; from after to is refused. Milliseconds were read as seconds in
// the year 57,970 (an empty answer), the unencoded offset was refused,
// and from > to answered nothing without saying why.
func TestTimeParameters(t *testing.T) {
	srv, ts := testServer(t)
	tok := srv.Tokens().Read
	first, last, err := srv.st.Bounds(t.Context())
	if err != nil || last == 0 {
		t.Fatal(first, last, err)
	}
	from, to := math.Floor(first), math.Ceil(last)
	var all store.Page[store.Conn]
	if code := get(t, ts, "/api/v1/flows?window=all&limit=1", tok, &all); code != 200 || all.Total == 0 {
		t.Fatalf("all flows: %d %d", code, all.Total)
	}
	zone := time.FixedZone("", 2*3600)
	rfc := func(s float64) string { return time.Unix(int64(s), 0).In(zone).Format(time.RFC3339) }
	for _, q := range []string{
		fmt.Sprintf("from=%.0f&to=%.0f", from, to),
		fmt.Sprintf("from=%.0f&to=%.0f", from*1000, to*1000),
		"from=" + rfc(from) + "&to=" + rfc(to), // '+02:00' unencoded
	} {
		var p store.Page[store.Conn]
		if code := get(t, ts, "/api/v1/flows?limit=1&"+q, tok, &p); code != 200 || p.Total != all.Total {
			t.Errorf("%s: status %d, %d flows, want %d", q, code, p.Total, all.Total)
		}
	}
	if code := get(t, ts, fmt.Sprintf("/api/v1/flows?from=%.0f&to=%.0f", to, from), tok, nil); code != 400 {
		t.Errorf("from after to: status %d, want 400", code)
	}
	// The overview over all time counts every stored flow, in its totals
	// and in its series.
	var o store.Overview
	if code := get(t, ts, "/api/v1/overview?window=all", tok, &o); code != 200 {
		t.Fatal(code)
	}
	var series int64
	for _, p := range o.Series {
		series += p.Conns
	}
	if o.Conns != int64(all.Total) || series != o.Conns {
		t.Errorf("overview: %d conns, series %d, /flows %d", o.Conns, series, all.Total)
	}
}
