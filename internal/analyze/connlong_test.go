package analyze

import (
	"testing"
	"time"
)

// TestLiveConnLong: a live run writes a connection still open at 10 and
// 30 minutes to conn_long.log as it stands, while it lasts; it reaches
// conn.log only when it ends. (Offline runs write no conn_long.log: they
// see each connection whole.)
func TestLiveConnLong(t *testing.T) {
	sec := int64(time.Second)
	start := time.Now().Add(-2 * time.Hour).UnixNano()
	var evs []scriptEvent
	for i := int64(0); i <= 40*60; i += 20 { // a packet every 20 s for 40 minutes, the ring idle between
		evs = append(evs, scriptEvent{ts: start + i*sec, frame: udpFrame(1, 2)})
		evs = idleTo(evs, start+i*sec, start+(i+19)*sec, sec)
	}
	during, after := runScriptsLog(t, "conn_long.log", 2, &scriptSource{name: "ring#0", events: evs})
	if len(during) < 2 {
		t.Fatalf("%d conn_long records while the connection was open, want 2 (10 and 30 minutes); at the end %v", len(during), after)
	}
	for i, want := range []float64{600, 1800} { // at the first packet past the age
		if r := during[i]; r["id.orig_h"] != "10.0.0.1" || r["duration"] != want || r["uid"] != during[0]["uid"] {
			t.Errorf("conn_long record %d: %v, want duration %v", i, r, want)
		}
	}
}
