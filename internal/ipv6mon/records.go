package ipv6mon

// The shapes of the facts and records the monitor reads (field names as
// analyze writes them; see internal/analyze/facts*.go and Zeek's logs).

type ndFact struct {
	TS             float64  `json:"ts"`
	Type           string   `json:"type"`
	Src            string   `json:"src"`
	Dst            string   `json:"dst"`
	SrcMAC         string   `json:"src_mac"`
	HopLimit       int      `json:"hop_limit"`
	Flags          string   `json:"flags"`
	Prf            string   `json:"prf"`
	CurHopLimit    int      `json:"cur_hop_limit"`
	RouterLifetime int      `json:"router_lifetime"`
	Reachable      uint32   `json:"reachable"`
	Retrans        uint32   `json:"retrans"`
	Target         string   `json:"target"`
	RedirectDst    string   `json:"redirect_dst"`
	LLAddr         string   `json:"ll_addr"`
	MTU            uint32   `json:"mtu"`
	Prefixes       []prefix `json:"prefixes"`
	RDNSS          []string `json:"rdnss"`
	Options        string   `json:"options"`
	Tunnelled      bool     `json:"tunnelled"`
}

type prefix struct {
	Prefix    string `json:"prefix"`
	Flags     string `json:"flags"`
	Valid     uint32 `json:"valid"`
	Preferred uint32 `json:"preferred"`
}

type icmp6Fact struct {
	TS       float64 `json:"ts"`
	Type     int     `json:"type"`
	Code     int     `json:"code"`
	Src      string  `json:"src"`
	Dst      string  `json:"dst"`
	SrcMAC   string  `json:"src_mac"`
	HopLimit int     `json:"hop_limit"`
	Len      int     `json:"len"`
	MTU      *uint32 `json:"mtu"`
	Pointer  *uint32 `json:"pointer"`
	Group    string  `json:"group"`
}

type extFact struct {
	TS          float64 `json:"ts"`
	Src         string  `json:"src"`
	Dst         string  `json:"dst"`
	Chain       string  `json:"chain"`
	UnknownOpts string  `json:"unknown_opts"`
	NonzeroPad  bool    `json:"nonzero_pad"`
	OptBytes    int     `json:"opt_bytes"`
	MaxPad      int     `json:"max_pad"`
	RoutingType *int    `json:"routing_type"`
	// ICMPType: the upper layer's ICMPv6 type when it is ICMPv6 and in
	// this packet.
	ICMPType *int `json:"icmp_type"`
}

type weirdRec struct {
	TS    float64 `json:"ts"`
	Name  string  `json:"name"`
	OrigH string  `json:"id.orig_h"`
	RespH string  `json:"id.resp_h"`
	Addl  string  `json:"addl"`
}

type dhcpRec struct {
	TS           float64  `json:"ts"`
	UIDs         []string `json:"uids"`
	DHCPVersion  int      `json:"dhcp_version"`
	ServerAddr   string   `json:"server_addr"`
	ClientAddr   string   `json:"client_addr"`
	AssignedAddr string   `json:"assigned_addr"`
	Delegated    string   `json:"delegated_prefix"`
	MAC          string   `json:"mac"`
	MsgTypes     []string `json:"msg_types"`
	OrigH        string   `json:"id.orig_h"`
	RespH        string   `json:"id.resp_h"`
	RespP        int      `json:"id.resp_p"`
}
