package dnstunnel

import (
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/evict"
)

// clientTally is a client's tally for the spread rule. Under a DNS flood
// from spoofed sources every query comes from a new client, whose tally
// never holds more than that one name; a full tally (two 128-byte
// distinct counts) for each was a fifth of the detector's cost per query
// there. So while a client has asked for one name in its window, the
// name alone is kept (lone: t nil), with the times and server its tally
// would hold; the tally is made, exactly as it would stand, when a
// second name comes (or for the saved state). The same name asked again
// changes only its tally's last time, and is counted so. A lone name is
// kept only when one name cannot make the rule (Detector.loneClients),
// since the rule is asked when a tally begins.
type clientTally struct {
	t           *tally // nil while lone
	first, last float64
	n           *name
	server      netip.Addr
}

// begun is when the client's tally began.
func (c *clientTally) begun() float64 {
	if c.t != nil {
		return c.t.first
	}
	return c.first
}

// lastSeen is the client's tally's last time (the eviction order).
func (c *clientTally) lastSeen() float64 {
	if c.t != nil {
		return c.t.last
	}
	return c.last
}

// tally returns the tally a lone name stands for: begun with it, its
// later repeats counted.
func (c *clientTally) tally(client netip.Addr) *tally {
	t := &tally{first: c.first}
	t.add(c.first, c.n, client, c.server)
	t.last = c.last
	return t
}

// clientTally counts name n, asked by client of server at ts, in the
// client's tally (a new one when its window is over and n is tunnel-like,
// the longest-idle tenth dropped past MaxDomains), as tallyOf and
// tally.add do, and returns the tally when n was a tunnel-like name new to
// it: the spread rule is asked then.
func (d *Detector) clientTally(ts float64, n *name, client, server netip.Addr) *tally {
	c, ok := d.spread[client]
	if ok && ts-c.begun() <= d.cfg.Window {
		switch {
		case c.t == nil && n.hash == c.n.hash: // the lone name again: its tally's last time moves
			c.last = max(c.last, ts)
			d.spread[client] = c
			return nil
		case c.t == nil:
			c = clientTally{t: c.tally(client)}
			d.spread[client] = c
		}
		if c.t.add(ts, n, client, server) {
			return c.t
		}
		return nil
	}
	if n.enc == NoData {
		return nil
	}
	if !ok && len(d.spread) >= d.cfg.MaxDomains {
		evict.DropTenth(d.spread, func(c clientTally) float64 { return c.lastSeen() })
	}
	// A tally's first add sets its last time to max(0, ts): the same here.
	c = clientTally{first: ts, last: max(0, ts), n: n, server: server}
	if !d.loneClients {
		c = clientTally{t: c.tally(client)}
		d.spread[client] = c
		return c.t // its first tunnel-like name
	}
	d.spread[client] = c
	return nil
}
