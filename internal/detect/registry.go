package detect

import (
	"github.com/vigil-nsm/vigil/internal/detect/arpspoof"
	"github.com/vigil-nsm/vigil/internal/detect/beacon"
	"github.com/vigil-nsm/vigil/internal/detect/bruteforce"
	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/dnstunnel"
	"github.com/vigil-nsm/vigil/internal/detect/exfil"
	"github.com/vigil-nsm/vigil/internal/detect/flood"
	"github.com/vigil-nsm/vigil/internal/detect/ics"
	"github.com/vigil-nsm/vigil/internal/detect/intelmatch"
	"github.com/vigil-nsm/vigil/internal/detect/kerberoast"
	"github.com/vigil-nsm/vigil/internal/detect/longconn"
	"github.com/vigil-nsm/vigil/internal/detect/mirai"
	"github.com/vigil-nsm/vigil/internal/detect/scan"
	"github.com/vigil-nsm/vigil/internal/detect/tlsanomaly"
	"github.com/vigil-nsm/vigil/internal/detect/webscan"
	"github.com/vigil-nsm/vigil/internal/detect/wstunnel"
	"github.com/vigil-nsm/vigil/internal/netset"
)

// Factory builds one registered detector from the configuration.
type Factory struct {
	Name    string
	Enabled func(c *Config) bool
	New     func(c *Config, internal *netset.Set) (Detector, error)
}

// registry lists every detector. Add a detector here: its package, its
// Config field in Config and one line below.
var registry = []Factory{
	{"scan", func(c *Config) bool { return c.Scan.Enabled }, func(c *Config, in *netset.Set) (Detector, error) { return scan.New(c.Scan, in), nil }},
	{"webscan", func(c *Config) bool { return c.WebScan.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return webscan.New(c.WebScan), nil }},
	{"flood", func(c *Config) bool { return c.Flood.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return flood.New(c.Flood), nil }},
	{"bruteforce", func(c *Config) bool { return c.BruteForce.Enabled }, func(c *Config, in *netset.Set) (Detector, error) { return bruteforce.New(c.BruteForce, in), nil }},
	{"beacon", func(c *Config) bool { return c.Beacon.Enabled }, func(c *Config, in *netset.Set) (Detector, error) { return beacon.New(c.Beacon, in), nil }},
	{"dnstunnel", func(c *Config) bool { return c.DNSTunnel.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return dnstunnel.New(c.DNSTunnel), nil }},
	{"dga", func(c *Config) bool { return c.DGA.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return dga.New(c.DGA) }},
	{"longconn", func(c *Config) bool { return c.LongConn.Enabled }, func(c *Config, in *netset.Set) (Detector, error) { return longconn.New(c.LongConn, in), nil }},
	{"exfil", func(c *Config) bool { return c.Exfil.Enabled }, func(c *Config, in *netset.Set) (Detector, error) { return exfil.New(c.Exfil, in), nil }},
	{"arpspoof", func(c *Config) bool { return c.ARPSpoof.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return arpspoof.New(c.ARPSpoof), nil }},
	{"mirai", func(c *Config) bool { return c.Mirai.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return mirai.New(c.Mirai), nil }},
	{"tls", func(c *Config) bool { return c.TLS.Enabled }, func(c *Config, in *netset.Set) (Detector, error) { return tlsanomaly.New(c.TLS, in), nil }},
	{"ics", func(c *Config) bool { return c.ICS.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return ics.New(c.ICS), nil }},
	{"intel", func(c *Config) bool { return c.Intel.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return intelmatch.New(c.Intel) }},
	{"kerberoast", func(c *Config) bool { return c.Kerberoast.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return kerberoast.New(c.Kerberoast), nil }},
	{"wstunnel", func(c *Config) bool { return c.WSTunnel.Enabled }, func(c *Config, _ *netset.Set) (Detector, error) { return wstunnel.New(c.WSTunnel), nil }},
}

// Names returns the names of the registered detectors, in order.
func Names() []string {
	out := make([]string, len(registry))
	for i, f := range registry {
		out[i] = f.Name
	}
	return out
}
