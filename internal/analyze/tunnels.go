package analyze

import (
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/record"
)

// tunnel.log (Zeek's base/frameworks/tunnels): a DISCOVER line for each
// tunnel the reader crosses, when it first carries a packet, and, for a
// tunnel carried by a UDP connection (VXLAN, Geneve, Teredo, AYIYA, GTPv1),
// a CLOSE line when that connection is removed. IP-level tunnels (IP-in-IP,
// GRE) are never closed: Zeek closes them only when Tunnel::
// expiration_interval passes without traffic, which its baselines never
// show.
const logTunnel = "tunnel"

// maxIPTunnels bounds the IP-level tunnels remembered as discovered; the
// set is cleared when full (a tunnel may then be discovered again).
const maxIPTunnels = 1 << 14

// tunnelLog is the reader's tunnel.log state. A tunnel's packets after
// its first cost one load and compare: a UDP tunnel's outer connection
// has its App word set once discovered (the tunnel table runs no
// application layer, so the word is the reader's), an IP-level tunnel's
// uid is found in recent, a small direct-mapped cache of the uids
// discovered.
type tunnelLog struct {
	recent [256]flow.UID
	// ip: IP-level tunnels discovered (bounded by maxIPTunnels).
	ip map[flow.UID]struct{}
	// udp: UDP tunnels discovered and not closed, with their kind; each is
	// a connection of the reader's tunnel table, so the table's size
	// bounds it (its conn record removes it).
	udp map[flow.UID]decode.TunnelKind
	// closing is the uid of the connection the tunnel table is ending
	// (BeginEmit), for its conn record.
	closing flow.UID
	rec     record.Tunnel
	buf     []byte
}

// zeekTunnelType is Zeek's Tunnel::Type of a decoded tunnel kind (ERSPAN
// is GRE to Zeek).
func zeekTunnelType(k decode.TunnelKind) string {
	switch k {
	case decode.TunnelIP:
		return "Tunnel::IP"
	case decode.TunnelGRE, decode.TunnelERSPAN:
		return "Tunnel::GRE"
	case decode.TunnelVXLAN:
		return "Tunnel::VXLAN"
	case decode.TunnelGeneve:
		return "Tunnel::GENEVE"
	case decode.TunnelTeredo:
		return "Tunnel::TEREDO"
	case decode.TunnelGTPU:
		return "Tunnel::GTPv1"
	case decode.TunnelAYIYA:
		return "Tunnel::AYIYA"
	}
	return "Tunnel::NONE"
}

// discoverTunnel writes tunnel.log's DISCOVER line for the tunnel t (at a
// packet at ts, named uid) unless it was written already. in is the tunnel
// table's input for a tunnel carried by a UDP connection (whose App word
// trackTunnels found unset; its FromOrig orients the line as the
// connection), nil for an IP-level one (ports 0), whose uid trackTunnels
// did not find in the recent cache. It is kept out of line.
//
//go:noinline
func (r *reader) discoverTunnel(ts int64, t *decode.Tunnel, uid flow.UID, in *flow.Input) {
	tl := &r.tunLog
	if in != nil {
		*in.App = 1
		if tl.udp == nil {
			tl.udp = map[flow.UID]decode.TunnelKind{}
		}
		tl.udp[uid] = t.Kind
	} else {
		tl.recent[uid&255] = uid
		if _, ok := tl.ip[uid]; ok {
			return
		}
		if tl.ip == nil || len(tl.ip) >= maxIPTunnels {
			tl.ip = make(map[flow.UID]struct{}, 64)
		}
		tl.ip[uid] = struct{}{}
	}
	d := &t.Outer
	rec := &tl.rec
	*rec = record.Tunnel{TS: ts, OrigH: d.Src, RespH: d.Dst, Type: zeekTunnelType(t.Kind), Action: record.TunnelDiscover}
	if in != nil {
		rec.OrigP, rec.RespP = d.SrcPort, d.DstPort
		if !in.FromOrig {
			rec.OrigH, rec.RespH = rec.RespH, rec.OrigH
			rec.OrigP, rec.RespP = rec.RespP, rec.OrigP
		}
	}
	r.writeTunnel(uid)
}

// writeTunnel writes r.tunLog.rec, named uid, to tunnel.log.
func (r *reader) writeTunnel(uid flow.UID) {
	tl := &r.tunLog
	tl.rec.UID = uid.String()
	tl.buf = record.AppendTunnelJSON(tl.buf[:0], &tl.rec)
	r.sink.Record(logTunnel, tl.buf)
}

// tunnelConns is the reader as the tunnel table's emitter: it logs the
// outer connections and closes their tunnels in tunnel.log.
type tunnelConns reader

// BeginEmit implements flow.EmitNotifier.
func (e *tunnelConns) BeginEmit(uid flow.UID) {
	e.tunLog.closing = uid
	e.sink.BeginEmit(uid)
}

// ConnLong implements flow.LongEmitter: an outer connection still open,
// to conn_long.log (its tunnel stays open).
func (e *tunnelConns) ConnLong(c *record.Conn) { e.sink.ConnLong(c) }

// Weird implements flow.Emitter.
func (e *tunnelConns) Weird(w *record.Weird) { e.sink.Weird(w) }

// Conn implements flow.Emitter: the outer connection's record, then, when
// it carried a tunnel that was discovered, the tunnel's CLOSE line. Zeek
// closes the tunnel when it removes the connection and stamps the line
// with that moment, which depends on when timers run (sweeps here, and a
// live run's clock); the line's ts is the connection's last packet
// instead, the same however the run is paced.
func (e *tunnelConns) Conn(c *record.Conn) {
	r := (*reader)(e)
	r.sink.Conn(c)
	tl := &r.tunLog
	uid := tl.closing
	kind, ok := tl.udp[uid]
	if !ok {
		return
	}
	delete(tl.udp, uid)
	tl.rec = record.Tunnel{TS: c.TS + c.Duration, OrigH: c.OrigH, OrigP: c.OrigP, RespH: c.RespH, RespP: c.RespP,
		Type: zeekTunnelType(kind), Action: record.TunnelClose}
	r.writeTunnel(uid)
}
