// Package record holds Vigil's record types (one schema for every stage)
// and their JSON-lines encoding. Encoders append to a caller-owned buffer
// and never use reflection, so writing a record allocates nothing once the
// buffer has grown. Field names follow Zeek's logs where Zeek has the field.
package record

import "net/netip"

// Conn is one connection summary, the equivalent of a Zeek conn.log entry.
//
// Optional numeric fields carry a Has* flag because Zeek omits them when
// unset (duration and byte counts are only logged when the connection
// lasted longer than zero seconds). Strings are omitted when empty.
//
// A Conn handed to an emitter by the flow stage is only valid during that
// call: its strings may alias buffers the flow table reuses. Copy what you
// keep (strings.Clone).
//
// UID, Proto, ConnState, History, CommunityID and the L2 addresses hold
// only printable ASCII without quotes or backslashes (letters, digits,
// "+/=:^"): AppendConnJSON writes them without escaping.
type Conn struct {
	TS           int64 // first packet time, Unix nanoseconds
	UID          string
	OrigH, RespH netip.Addr
	OrigP, RespP uint16
	// Proto is "tcp", "udp", "icmp" or "unknown_transport".
	Proto   string
	Service string

	Duration    int64 // nanoseconds
	HasDuration bool

	OrigBytes, RespBytes       uint64
	HasOrigBytes, HasRespBytes bool

	ConnState string
	// LocalOrig / LocalResp say whether each end is in the site's local
	// networks (Zeek's Site::local_nets, private address space included);
	// logged when HasLocal.
	LocalOrig, LocalResp, HasLocal bool
	MissedBytes                    uint64
	History                        string

	OrigPkts, OrigIPBytes uint64
	RespPkts, RespIPBytes uint64

	TunnelParents []string
	// IPProto is the IP protocol number (Zeek's ip_proto); logged when
	// HasIPProto.
	IPProto    uint8
	HasIPProto bool

	CommunityID string

	VLAN, InnerVLAN       uint16
	HasVLAN, HasInnerVLAN bool

	// OrigL2Addr / RespL2Addr are MAC addresses ("aa:bb:..."); omitted when
	// empty.
	OrigL2Addr, RespL2Addr string
}

// Weird is one protocol or traffic anomaly, the equivalent of a Zeek
// weird.log entry. When HasConn is false the uid and id fields are omitted.
type Weird struct {
	TS           int64
	UID          string
	OrigH, RespH netip.Addr
	OrigP, RespP uint16
	HasConn      bool
	Name, Addl   string
	Notice       bool
	// Source names the analyzer or stage that saw it ("TCP", "flow", ...).
	Source string
}

// Peer is the value of weird.log's peer field.
const Peer = "vigil"

// Tunnel is one tunnel.log entry (Zeek's base/frameworks/tunnels): a
// tunnel discovered or closed. UID is the tunnel's uid (the one inner
// connections list in tunnel_parents; empty for an HTTP CONNECT tunnel,
// which Zeek logs without one); ports are 0 for IP-level tunnels.
type Tunnel struct {
	TS           int64
	UID          string
	OrigH, RespH netip.Addr
	OrigP, RespP uint16
	// Type is Zeek's Tunnel::Type ("Tunnel::VXLAN"), Action its
	// Tunnel::Action ("Tunnel::DISCOVER", "Tunnel::CLOSE").
	Type, Action string
}

// Tunnel actions.
const (
	TunnelDiscover = "Tunnel::DISCOVER"
	TunnelClose    = "Tunnel::CLOSE"
)
