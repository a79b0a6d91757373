package store

import "testing"

// TestRollupBytesSaturate: counts of hostile flow exports are large; the
// rollups' sums stop at MaxInt64 rather than wrap: three flows of 2^62
// bytes made the traffic, talker and edge rows negative, and the
// overview's totals with them for as long as the hourly rollups are kept.
func TestRollupBytesSaturate(t *testing.T) {
	b := &Batch{}
	for _, dst := range []string{"10.3.0.2", "10.3.0.3", "10.3.0.4"} {
		b.Conns = append(b.Conns, Conn{TS: 1767225600, OrigH: "10.3.0.1", RespH: dst, Proto: "tcp", IPv: 4,
			OrigIPBytes: 1 << 62, OrigBytes: 1 << 62, OrigPkts: 1})
	}
	newRollups().batch(b)
	for _, r := range b.Traffic1m {
		if r.Bytes < 0 {
			t.Errorf("traffic row of %d bytes", r.Bytes)
		}
	}
	for _, r := range b.Talkers1h {
		if r.Bytes < 0 {
			t.Errorf("talker %s of %d bytes", r.Host, r.Bytes)
		}
	}
}
