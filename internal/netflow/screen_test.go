package netflow

import "testing"

// TestScreen: datagrams goflow2 mishandles are decode errors; their
// well-formed neighbours still decode.
func TestScreen(t *testing.T) {
	whole := v5([][7]uint32{{ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 40000, 22, 6, 10, 1500}, {ip4(10, 0, 0, 3), ip4(8, 8, 8, 8), 53000, 53, 17, 1, 70}})
	for _, c := range []struct {
		name          string
		datagram      []byte
		flows, errors int
	}{
		{"v5", whole, 2, 0},
		{"v5 announcing 65535 records, carrying none", v5Short(), 0, 1},
		{"v5 cut short", whole[:len(whole)-10], 0, 1},
		{"sFlow expanded flow sample", sflowExpanded(1), 1, 0},
		{"sFlow expanded flow sample announcing 2^30 records", sflowExpanded(1 << 30), 0, 1},
		{"sFlow flow sample", sflowSample(), 1, 0},
	} {
		l, got := decodeAll(t, unframe(frame(0, c.datagram)))
		if len(got) != c.flows || l.Stats().Errors != uint64(c.errors) {
			t.Errorf("%s: %d flows, %d errors; want %d, %d", c.name, len(got), l.Stats().Errors, c.flows, c.errors)
		}
		for _, f := range got {
			if f.conn.OrigH == "0.0.0.0" {
				t.Errorf("%s: flow of zeros %+v", c.name, f.conn)
			}
		}
	}
}
