package flow

import "github.com/vigil-nsm/vigil/internal/decode"

// TracksUDP reports whether the table holds the UDP conn datagram d belongs
// to. The reader keeps tunnels' outer UDP conns in a table of its own; a
// datagram of such a conn that carries no tunnelled packet (an AYIYA
// heartbeat, a Teredo packet that fails its checks) must be counted there
// too, as Zeek counts every datagram of the conn. It does not allocate.
// It is small enough to inline, so that the common case, an empty table,
// costs the reader no call.
func (t *Table) TracksUDP(d *decode.Datagram) bool {
	return t.stats.Active != 0 && t.tracksUDP(d)
}

// tracksUDP is TracksUDP for a table that holds connections.
func (t *Table) tracksUDP(d *decode.Datagram) bool {
	if d == nil || d.Proto != decode.ProtoUDP || !d.HasL4 || d.Version == 0 {
		return false
	}
	var k key
	k.set(addrOf(d.Src), addrOf(d.Dst), d.SrcPort, d.DstPort, d.Proto, versionFlags(d.Version))
	ci, _ := t.lookup(&k, hashKey(&k, t.seed))
	return ci != nilIdx
}
