package synth

import "strconv"

// Operating-system profiles of the monitored hosts: what their TCP stacks
// put in SYNs and what TTL they start with.
const (
	osLinux = iota
	osWindows
	osMac
)

type osProfile struct {
	ttl          uint8
	synWin4      uint16 // SYN window over IPv4
	synWin6      uint16
	wscale       uint8
	ts           bool
	winLo, winHi uint16 // scaled window field after the handshake
	portLo       int
	portHi       int
}

var profiles = [...]osProfile{
	osLinux:   {64, 64240, 64800, 7, true, 490, 512, 32768, 60999},
	osWindows: {128, 64240, 64800, 8, false, 1020, 1029, 49152, 65535},
	osMac:     {64, 65535, 65535, 6, true, 2040, 2058, 49152, 65535},
}

// Well-known addresses on the monitored network.
var (
	gwMAC    = [6]byte{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01} // VRRP virtual router MAC
	gwLL     = [16]byte{0xfe, 0x80, 15: 1}
	resolv4  = [4]byte{10, 16, 0, 53}
	resolv6  = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: 0x53}
	syslog4  = [4]byte{10, 16, 0, 9}
	syslog6  = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: 0x09}
	statsd4  = [4]byte{10, 16, 0, 25}
	statsd6  = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: 0x25}
	web4     = [4]byte{10, 16, 0, 10}
	web6     = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: 0x10}
	webMAC   = [6]byte{0x00, 0x50, 0x56, 0x9a, 0x10, 0x10}
	broker4  = [4]byte{198, 51, 100, 1}
	ouis     = [][3]byte{{0x00, 0x1b, 0x21}, {0x3c, 0x22, 0xfb}, {0xf4, 0x8e, 0x38}, {0x00, 0x50, 0x56}, {0xb8, 0x27, 0xeb}, {0x00, 0x15, 0x5d}, {0xa4, 0x83, 0xe7}, {0x00, 0x0c, 0x29}, {0x98, 0x5a, 0xeb}, {0xd4, 0x5d, 0x64}}
	vlanIDs  = []uint16{10, 20, 30, 100, 200}
	scanners = 10
)

const hostsPerSubnet = 50

// host is one monitored machine (on 10.16.0.0/12 and 2001:db8:1::/48).
type host struct {
	ip4  [4]byte
	ip6  [16]byte
	ll6  [16]byte // link-local
	mac  [6]byte
	vlan uint16
	os   int
}

func (g *gen) host(i int) host {
	h := mix64(g.seed ^ uint64(i)*0x100000001b3)
	a := i / hostsPerSubnet
	var x host
	sn := a + 1 // 10.16.0.0/24 holds the site's servers
	x.ip4 = [4]byte{10, byte(16 + sn/256), byte(sn), byte(2 + i%hostsPerSubnet)}
	o := ouis[h%uint64(len(ouis))]
	x.mac = [6]byte{o[0], o[1], o[2], byte(h >> 8), byte(h >> 16), byte(h >> 24)}
	x.ip6 = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, byte(sn >> 8), byte(sn)}
	x.ll6 = [16]byte{0xfe, 0x80}
	iid := mix64(h)
	for k := 0; k < 8; k++ {
		x.ip6[8+k] = byte(iid >> (8 * k))
		x.ll6[8+k] = byte(iid >> (8 * k))
	}
	// One subnet in six sits on a tagged VLAN of the trunk.
	if a%6 == 1 {
		x.vlan = vlanIDs[a/6%len(vlanIDs)]
	}
	switch r := h >> 40 % 100; {
	case r < 55:
		x.os = osLinux
	case r < 85:
		x.os = osWindows
	default:
		x.os = osMac
	}
	return x
}

func (x *host) name() string {
	return "host-" + strconv.Itoa(int(x.ip4[1])-16) + "-" + strconv.Itoa(int(x.ip4[2])) + "-" + strconv.Itoa(int(x.ip4[3]))
}

// Remote servers live in the documentation ranges (RFC 5737, RFC 3849).
const numServers = 700

// server returns remote server j's addresses.
func server(j int) (v4 [4]byte, v6 [16]byte) {
	switch {
	case j < 254:
		v4 = [4]byte{192, 0, 2, byte(j + 1)}
	case j < 508:
		v4 = [4]byte{198, 51, 100, byte(j - 253)}
	default:
		v4 = [4]byte{203, 0, 113, byte(j - 507)}
	}
	v6 = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0xf0, 0x00, 0, byte(j >> 8), 14: byte((j + 1) >> 8), 15: byte(j + 1)}
	return
}

// scanner returns an external scanning host's address (203.0.113.240+).
func scanner(k int) [4]byte { return [4]byte{203, 0, 113, byte(240 + k)} }

// remoteTTL is the TTL a remote host's packet shows at the capture point.
func (g *gen) remoteTTL() uint8 {
	hops := 4 + g.rng.IntN(20)
	switch r := g.rng.IntN(10); {
	case r < 7:
		return uint8(64 - hops)
	case r < 9:
		return uint8(128 - hops)
	default:
		return uint8(255 - hops)
	}
}
