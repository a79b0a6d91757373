// Package flow tracks bidirectional connections the way Zeek does and
// summarises each one as a record.Conn when it ends.
//
// A Table is owned by one goroutine (one per worker); the caller routes
// both directions of a connection to the same Table (a symmetric hash of
// the key does it). Update accounts one datagram; Expire runs the timers as
// packet time advances; Flush ends the input. Conn records go to the
// Emitter synchronously.
//
// The semantics follow Zeek's TCP/UDP/ICMP session adapters (TCP endpoint
// state machine, history letters, sizes from sequence numbers, content gaps
// as missed bytes, role flips, connection reuse, close/attempt/inactivity
// timers). docs/ARCHITECTURE.md and the comments name the Zeek function each
// piece mirrors.
//
// Memory is bounded: at most Config.MaxFlows connections are tracked; when
// the table is full the least recently active connection is emitted early
// and counted as evicted. State lives in a slab allocated in chunks and an
// open-addressing index allocated once, so accounting a packet, creating a
// flow or evicting one allocates nothing in steady state.
package flow

import (
	"fmt"
	"time"

	"github.com/vigil-nsm/vigil/internal/netset"
)

// Config sets the table's limits and Zeek's timing constants.
type Config struct {
	// MaxFlows is the hard cap on tracked connections in one Table.
	MaxFlows int

	// Inactivity timeouts (Zeek: tcp_inactivity_timeout,
	// udp_inactivity_timeout, icmp_inactivity_timeout,
	// unknown_ip_inactivity_timeout). Zero disables.
	TCPInactivity, UDPInactivity, ICMPInactivity, OtherInactivity time.Duration

	// TCP timers (Zeek: tcp_close_delay, tcp_reset_delay,
	// tcp_attempt_delay, tcp_partial_close_delay, tcp_SYN_timeout,
	// tcp_session_timer, tcp_connection_linger).
	TCPCloseDelay, TCPResetDelay, TCPAttemptDelay, TCPPartialCloseDelay time.Duration
	TCPSYNTimeout, TCPSessionTimer, TCPConnectionLinger                 time.Duration

	// LikelyServerPorts is Zeek's likely_server_ports as the default script
	// set loads it; it decides which side is the originator when the first
	// packet does not say so. Ports are checked against both TCP and UDP
	// lists below unless those are set.
	LikelyServerPorts []uint16
	// LikelyServerPortsTCP / UDP override LikelyServerPorts per protocol.
	LikelyServerPortsTCP, LikelyServerPortsUDP []uint16

	// Local is what the site calls local (Zeek's Site::local_nets, made
	// by netset.ZeekLocal): when set, conn.log says of each end whether
	// it is local (local_orig, local_resp), as Zeek does by default.
	Local *netset.Set

	// CommunityIDSeed is the community-id v1 seed.
	CommunityIDSeed uint16
	// CommunityID enables computing community_id for every conn.
	CommunityID bool

	// IgnoreChecksums skips transport checksum validation (zeek -C). When
	// validation is on, packets with a bad TCP/UDP/ICMP checksum are not
	// accounted (Zeek's behaviour) and add 'C'/'c' to the history. It only
	// applies when Input.IPRaw holds the whole datagram. (The analysis
	// reads it for IPv4 header checksums too: see analyze.reader's
	// badIPHeader.)
	IgnoreChecksums bool

	// DNSPorts are the UDP responder ports on which Zeek attaches its DNS
	// analyzer, whose own timer ends a UDP conn after DNSSessionTimeout
	// without packets (Zeek: dns_session_timeout, DNS_Analyzer::ExpireTimer).
	DNSPorts          []uint16
	DNSSessionTimeout time.Duration

	// TrackOther makes IP protocols other than TCP/UDP/ICMP connections of
	// their own (Zeek's unknown_transport).
	TrackOther bool

	// LongDurations are the ages (from its first packet, ascending) at
	// which a connection still open is written as it stands to
	// conn_long.log (the Emitter's ConnLong), as Corelight's
	// long-connections package for Zeek does; after the last, every
	// LongRepeat. Empty: none (offline runs see each connection whole;
	// live runs set ConnLongDurations, so a connection open for days is
	// known while it lasts).
	LongDurations []time.Duration
	LongRepeat    time.Duration
}

// ConnLongDurations are the conn_long.log ages a live run uses: 10 and 30
// minutes, 1, 2, 4, 8, 12 and 24 hours, then every day (LongRepeat).
func ConnLongDurations() ([]time.Duration, time.Duration) {
	return []time.Duration{10 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
		4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour}, 24 * time.Hour
}

// Zeek's likely_server_ports with the default scripts loaded
// (base/init-default.zeek): the ports each base protocol and tunnel script
// adds.
var defaultLikelyTCP = []uint16{
	21, 22, 25, 53, 79, 80, 81, 88, 110, 135, 139, 143, 389, 443, 445, 502,
	563, 585, 587, 614, 631, 636, 750, 989, 990, 992, 993, 995, 1434,
	1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379,
	6667, 8000, 8080, 8888, 20000,
}

var defaultLikelyUDP = []uint16{
	53, 67, 88, 123, 137, 161, 162, 443, 514, 750, 1812, 2123, 2152,
	3389, 3544, 4789, 5060, 5072, 5353, 5355, 6081, 20000,
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	return Config{
		MaxFlows:             1 << 19,
		TCPInactivity:        5 * time.Minute,
		UDPInactivity:        time.Minute,
		ICMPInactivity:       time.Minute,
		OtherInactivity:      time.Minute,
		TCPCloseDelay:        5 * time.Second,
		TCPResetDelay:        5 * time.Second,
		TCPAttemptDelay:      5 * time.Second,
		TCPPartialCloseDelay: 3 * time.Second,
		TCPSYNTimeout:        5 * time.Second,
		TCPSessionTimer:      6 * time.Second,
		TCPConnectionLinger:  5 * time.Second,
		LikelyServerPortsTCP: append([]uint16(nil), defaultLikelyTCP...),
		LikelyServerPortsUDP: append([]uint16(nil), defaultLikelyUDP...),
		CommunityID:          true,
		DNSPorts:             []uint16{53, 137, 5353, 5355},
		DNSSessionTimeout:    10 * time.Second,
		TrackOther:           true,
	}
}

func (c *Config) validate() error {
	if c.MaxFlows <= 0 {
		return fmt.Errorf("flow: MaxFlows must be > 0, got %d", c.MaxFlows)
	}
	if c.MaxFlows > 1<<30 {
		return fmt.Errorf("flow: MaxFlows %d too large", c.MaxFlows)
	}
	for _, d := range []time.Duration{c.TCPInactivity, c.UDPInactivity, c.ICMPInactivity, c.OtherInactivity,
		c.TCPCloseDelay, c.TCPResetDelay, c.TCPAttemptDelay, c.TCPPartialCloseDelay,
		c.TCPSYNTimeout, c.TCPSessionTimer, c.TCPConnectionLinger, c.DNSSessionTimeout} {
		if d < 0 {
			return fmt.Errorf("flow: negative timeout %v", d)
		}
	}
	return nil
}

// portSet is a 65536-bit bitmap.
type portSet [1024]uint64

func (s *portSet) add(p uint16)      { s[p>>6] |= 1 << (p & 63) }
func (s *portSet) has(p uint16) bool { return s[p>>6]&(1<<(p&63)) != 0 }
func (s *portSet) addAll(ps []uint16) {
	for _, p := range ps {
		s.add(p)
	}
}
