package flood

import (
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// The link layer names the sender of a flood whose source addresses are
// forged: on the capture's link, its frames still carry its own MAC.
// Before naming a MAC, the detector makes sure it stands for one host: a
// router's or a switch's MAC carries traffic from many addresses in
// connections that really went both ways, a single host's from its own few.

const (
	// maxSenders bounds the MACs counted per victim.
	maxSenders = 16
	// minSenderShare is the share of a flood's packets one MAC must send
	// to be named.
	minSenderShare = 0.9
	// maxHostAddrs is the most addresses one host's MAC is seen with in
	// two-way connections (IPv4, a global and a temporary IPv6 address,
	// a link-local one); past it the MAC forwards for others.
	maxHostAddrs = 4
)

// linkLayer learns, from two-way connections, which MACs each address
// used and how many addresses each MAC carried. Both maps are bounded:
// past max entries nothing new is learnt (what is known stays right).
type linkLayer struct {
	addrMACs map[netip.Addr][2]rec.MAC // the first two MACs seen with an address
	macAddrs map[rec.MAC]int           // addresses seen with a MAC
	max      int
}

func newLinkLayer(max int) linkLayer {
	return linkLayer{addrMACs: map[netip.Addr][2]rec.MAC{}, macAddrs: map[rec.MAC]int{}, max: max}
}

// learn records that addr was seen behind mac in a two-way connection.
func (l *linkLayer) learn(addr netip.Addr, mac rec.MAC) {
	if mac.IsZero() {
		return
	}
	macs, known := l.addrMACs[addr]
	switch {
	case macs[0] == mac || macs[1] == mac:
		return
	case !known && len(l.addrMACs) >= l.max:
		return
	case macs[0].IsZero():
		macs[0] = mac
	case macs[1].IsZero():
		macs[1] = mac
	default:
		return // a third MAC for one address: two are enough to tell
	}
	l.addrMACs[addr] = macs
	if len(l.macAddrs) < l.max {
		l.macAddrs[mac]++ // one lookup while there is room
	} else if n, ok := l.macAddrs[mac]; ok {
		l.macAddrs[mac] = n + 1
	}
}

// forwards reports whether mac carried too many addresses to be one host.
func (l *linkLayer) forwards(mac rec.MAC) bool { return l.macAddrs[mac] > maxHostAddrs }

// sender returns the MAC that sent at least minSenderShare of v's
// packets, if one did and it is one host's: the MAC to name for a flood
// from forged sources.
func (l *linkLayer) sender(v *victim) (rec.MAC, bool) {
	var top rec.MAC
	var n uint64
	for mac, k := range v.senders.all() {
		if k > n || (k == n && string(mac[:]) < string(top[:])) {
			top, n = mac, k
		}
	}
	if n == 0 || float64(n) < minSenderShare*float64(v.pkts) || l.forwards(top) {
		return rec.MAC{}, false
	}
	return top, true
}

// spoofer returns the MAC to name for a reflection: the requests that
// caused it came from one host's MAC, and the victim's address was seen
// in two-way traffic behind another MAC, its own.
func (l *linkLayer) spoofer(v *victim) (rec.MAC, bool) {
	mac, ok := l.sender(v)
	if !ok {
		return rec.MAC{}, false
	}
	for _, own := range l.addrMACs[v.victim] {
		if !own.IsZero() && own != mac && !l.forwards(own) {
			return mac, true
		}
	}
	return rec.MAC{}, false
}

// describe adds what is known of mac to an alert's evidence.
func (l *linkLayer) describe(mac rec.MAC, ev map[string]any) {
	ev["sender_mac"] = mac.String()
	ev["sender_mac_addrs"] = l.macAddrs[mac]
}
