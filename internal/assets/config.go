package assets

import (
	"fmt"
	"net/netip"
	"time"
)

// Config configures an Inventory. The zero value is not useful: start
// from DefaultConfig.
type Config struct {
	// LocalNets are the networks whose addresses are hosts of the
	// inventory (CIDR notation). Other addresses are only the endpoints
	// the hosts use, unless AllHosts is set. Addresses bound to a MAC by
	// ARP, neighbour discovery or DHCP, and IPv6 prefixes announced by
	// router advertisements, are local whatever this list says.
	LocalNets []string
	// AllHosts makes every address that sends traffic a host (a capture
	// of one site with public addresses, or the corpus).
	AllHosts bool
	// RuleFiles are extra rule files (docs/ASSETS.md) merged over the
	// built-in ones: a rule with the id of a built-in one replaces it.
	RuleFiles []string
	// OUIFile replaces the embedded MAC vendor table: the compact form
	// the generator writes, or an IEEE registry CSV file.
	OUIFile string
	// MaxHosts caps the addresses and MACs tracked; past it new ones are
	// counted (Stats.Dropped) and ignored.
	MaxHosts int
	// TopUsed is the number of services used listed per host.
	TopUsed int
	// MaxEvidence is the number of records kept behind each guess and
	// each finding.
	MaxEvidence int
	// GatewayAddrs: a MAC seen (in conn.log or SYNs, not ARP/DHCP/ND) as
	// the link-layer address of more than this many local IPv4
	// addresses (four times as many IPv6 ones) is a router's, and those
	// addresses are not bound to it.
	GatewayAddrs int
	// ICSMasters are the addresses (CIDR or single address) allowed to
	// write to Modbus, DNP3 and BACnet devices; writes from others raise
	// a finding. Empty: each device's first requester is its master.
	ICSMasters []string
	// ICSLearn: hosts that first sent requests to a device within this
	// long of its first request are its usual masters too.
	ICSLearn time.Duration
	// Sink, when set, hears of findings as they happen, so that a
	// long-running capture reports them before it ends.
	Sink FindingSink
}

// FindingSink hears of findings as they happen. Its methods are called
// from Record's goroutine with the inventory locked (they must not call
// the inventory), and the *Finding they get is theirs to read during the
// call only. Findings raised while a snapshot is built (Hosts, from
// whatever goroutine calls it) are not told: Findings lists them.
type FindingSink interface {
	// Raised: a finding is raised for the first time.
	Raised(f *Finding)
	// Recurred: a finding raised before is raised again by the record at,
	// or gained evidence.
	Recurred(f *Finding, at Occurrence)
	// Dropped: a finding gives way to a more telling one (a default
	// login tried, then accepted).
	Dropped(f *Finding)
}

// DefaultConfig returns the defaults: private, link-local, CGNAT and ULA
// networks are local.
func DefaultConfig() Config {
	return Config{
		LocalNets: []string{
			"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
			"169.254.0.0/16", "fc00::/7", "fe80::/10",
		},
		MaxHosts:     1 << 16,
		TopUsed:      10,
		MaxEvidence:  5,
		GatewayAddrs: 4,
	}
}

// prefixes parses a list of CIDRs or single addresses.
func prefixes(what string, list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("assets: %s: %q is neither an address nor a CIDR", what, s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (c *Config) check() error {
	switch {
	case c.MaxHosts <= 0:
		return fmt.Errorf("assets: MaxHosts must be positive, got %d", c.MaxHosts)
	case c.TopUsed < 0:
		return fmt.Errorf("assets: TopUsed must not be negative, got %d", c.TopUsed)
	case c.MaxEvidence <= 0:
		return fmt.Errorf("assets: MaxEvidence must be positive, got %d", c.MaxEvidence)
	case c.GatewayAddrs <= 0:
		return fmt.Errorf("assets: GatewayAddrs must be positive, got %d", c.GatewayAddrs)
	case c.ICSLearn < 0:
		return fmt.Errorf("assets: ICSLearn must not be negative, got %v", c.ICSLearn)
	}
	return nil
}

// Occurrence is one record's part in a finding: when, which connection,
// and its two ends (zero when the record has none).
type Occurrence struct {
	TS               float64
	UID              string
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}
