package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/vigil-nsm/vigil/internal/capture/live"
)

// liveFlags are the live-capture options of analyze and serve.
type liveFlags struct {
	ifaces    []string
	fanout    int
	ringMiB   int
	noPromisc bool
	defrag    bool
}

func (l *liveFlags) register(fs *flag.FlagSet) {
	fs.Func("i", "capture live from this interface (repeat for several; needs root or CAP_NET_RAW)", func(s string) error {
		for _, name := range strings.Split(s, ",") {
			if name = strings.TrimSpace(name); name != "" {
				l.ifaces = append(l.ifaces, name)
			}
		}
		return nil
	})
	fs.IntVar(&l.fanout, "fanout", 1, "live: capture rings (reader goroutines) per interface; the kernel spreads connections over them")
	fs.IntVar(&l.ringMiB, "ring", 32, "live: ring size per reader in MiB (1 MiB blocks)")
	fs.BoolVar(&l.noPromisc, "no-promisc", false, "live: do not put the interfaces in promiscuous mode")
	fs.BoolVar(&l.defrag, "kernel-defrag", false, "live: let the kernel reassemble IPv4 fragments before the fanout (Vigil then sees no IPv4 fragment anomalies)")
}

// configs returns one live.Config per interface.
func (l *liveFlags) configs() ([]live.Config, error) {
	if l.ringMiB < 2 || l.ringMiB > 1024 {
		return nil, fmt.Errorf("--ring %d: give 2..1024 MiB", l.ringMiB)
	}
	if l.fanout < 1 || l.fanout > live.MaxFanout {
		return nil, fmt.Errorf("--fanout %d: give 1..%d rings per interface", l.fanout, live.MaxFanout)
	}
	var out []live.Config
	seen := map[string]bool{}
	for _, name := range l.ifaces {
		if seen[name] {
			return nil, fmt.Errorf("-i %s given twice", name)
		}
		seen[name] = true
		c := live.DefaultConfig(name)
		c.Fanout, c.Blocks = l.fanout, l.ringMiB*(1<<20)/c.BlockSize
		c.Promisc, c.KernelDefrag = !l.noPromisc, l.defrag
		out = append(out, c)
	}
	return out, nil
}

// openLive opens every interface; on error none stays open.
func openLive(cfgs []live.Config) ([]*live.Group, error) {
	var groups []*live.Group
	for _, c := range cfgs {
		g, err := live.Open(c)
		if err != nil {
			closeLive(groups)
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}

func closeLive(groups []*live.Group) error {
	var errs []error
	for _, g := range groups {
		errs = append(errs, g.Close())
	}
	return errors.Join(errs...)
}
