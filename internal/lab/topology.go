package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// etcNetns is where `ip netns exec` finds per-namespace files that it
// bind-mounts over /etc (the lab gives each host a resolv.conf that names
// the lab's resolver, so no tool inside asks the host's).
const etcNetns = "/etc/netns"

// ipCmd runs `ip ARGS...` in the root namespace (only to manage the lab's
// namespaces: every link is created inside them).
func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ipBatch runs many `ip` commands in one process, inside namespace ns.
func ipBatch(ctx context.Context, ns string, cmds []string) error {
	c := exec.CommandContext(ctx, "ip", "-n", ns, "-batch", "-")
	c.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip -n %s -batch: %w: %s", ns, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// sysctls sets kernel parameters inside namespace ns.
func sysctls(ctx context.Context, ns string, kv ...string) error {
	args := append([]string{"netns", "exec", ns, "sysctl", "-q", "-w"}, kv...)
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sysctl in %s: %w: %s", ns, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// buildTopology creates the lab's namespaces, the LAN bridge, the links,
// the addresses and the per-namespace /etc files. On error the caller
// tears down what was made.
func buildTopology(ctx context.Context, w workDir) error {
	if err := addNamespaces(ctx); err != nil {
		return err
	}
	if err := setupSwitch(ctx); err != nil {
		return err
	}
	for _, h := range allHosts {
		if err := setupHostKernel(ctx, h); err != nil {
			return err
		}
	}
	if err := linkHosts(ctx); err != nil {
		return err
	}
	for _, h := range allHosts {
		if err := addressHost(ctx, h); err != nil {
			return err
		}
	}
	if err := writeResolvConfs(); err != nil {
		return err
	}
	if err := installServerAccounts(w); err != nil {
		return fmt.Errorf("lab: accounts of srv: %w", err)
	}
	return nil
}

func addNamespaces(ctx context.Context) error {
	names := []string{switchNS}
	for _, h := range allHosts {
		names = append(names, h.NS())
	}
	for _, ns := range names {
		if err := ipCmd(ctx, "netns", "add", ns); err != nil {
			return fmt.Errorf("lab: create namespace: %w", err)
		}
	}
	return nil
}

// setupSwitch makes the LAN bridge. The switch namespace has no address and
// no IPv6 (the bridge must not speak); multicast snooping is off so that
// multicast (RAs, NS, MLD) floods as on a plain switch.
func setupSwitch(ctx context.Context) error {
	if err := sysctls(ctx, switchNS, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"); err != nil {
		return fmt.Errorf("lab: switch: %w", err)
	}
	err := ipBatch(ctx, switchNS, []string{
		"link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
		"link set br0 up",
		"link set lo up",
	})
	if err != nil {
		return fmt.Errorf("lab: switch bridge: %w", err)
	}
	return nil
}

// setupHostKernel sets a host's sysctls before its interfaces exist, so the
// interfaces inherit the defaults: stable EUI-64 addresses (no temporary
// ones), RAs accepted by hosts and not by the router, which forwards.
func setupHostKernel(ctx context.Context, h Host) error {
	kv := []string{
		"net.ipv6.conf.default.use_tempaddr=0",
		"net.ipv6.conf.all.use_tempaddr=0",
		"net.ipv6.conf.default.addr_gen_mode=0",
		// Closed ports answer at once (nmap -sU finishes in seconds).
		"net.ipv4.icmp_ratelimit=0",
		"net.ipv6.icmp.ratelimit=0",
	}
	if h == hostRouter {
		kv = append(kv,
			"net.ipv4.ip_forward=1",
			"net.ipv6.conf.all.forwarding=1",
			"net.ipv6.conf.default.forwarding=1",
			"net.ipv6.conf.default.accept_ra=0",
			// No duplicate address detection: radvd's first RAs need a
			// link-local source at once, not a tentative one.
			"net.ipv6.conf.default.accept_dad=0")
	} else {
		kv = append(kv, "net.ipv6.conf.default.accept_ra=1", "net.ipv6.conf.default.accept_redirects=1")
	}
	if err := sysctls(ctx, h.NS(), kv...); err != nil {
		return fmt.Errorf("lab: kernel settings of %s: %w", h.Name, err)
	}
	return nil
}

// linkHosts creates each host's veth pair directly between the switch (or
// the router, for the outside) and the host's namespace: nothing is ever
// created in the root namespace.
func linkHosts(ctx context.Context) error {
	var cmds []string
	for _, h := range lanHosts {
		port := "p-" + h.Name
		cmds = append(cmds,
			fmt.Sprintf("link add %s type veth peer name eth0 netns %s", port, h.NS()),
			fmt.Sprintf("link set %s master br0", port),
			fmt.Sprintf("link set %s up", port))
	}
	if err := ipBatch(ctx, switchNS, cmds); err != nil {
		return fmt.Errorf("lab: LAN links: %w", err)
	}
	err := ipBatch(ctx, hostRouter.NS(), []string{
		fmt.Sprintf("link add eth1 type veth peer name eth0 netns %s", hostExt.NS()),
	})
	if err != nil {
		return fmt.Errorf("lab: outside link: %w", err)
	}
	return nil
}

// addressHost sets a host's MAC, addresses and routes and brings its links
// up. Hosts route through the router; the router and the outside host have
// no default route at all, so nothing can leave the lab.
func addressHost(ctx context.Context, h Host) error {
	pfx4, pfx6 := lanNet4.Bits(), lanNet6.Bits()
	if h.Outside {
		pfx4, pfx6 = outsideNet4.Bits(), outsideNet6.Bits()
	}
	cmds := []string{
		"link set lo up",
		"link set eth0 address " + h.MAC().String(),
		fmt.Sprintf("addr add %s/%d dev eth0", h.IPv4(), pfx4),
		fmt.Sprintf("addr add %s/%d dev eth0 nodad", h.IPv6(), pfx6),
		"link set eth0 up",
	}
	switch {
	case h == hostRouter:
		out := Host{Octet: 1, Outside: true}
		cmds = append(cmds,
			"link set eth1 address "+out.MAC().String(),
			fmt.Sprintf("addr add %s/%d dev eth1", out.IPv4(), outsideNet4.Bits()),
			fmt.Sprintf("addr add %s/%d dev eth1 nodad", out.IPv6(), outsideNet6.Bits()),
			fmt.Sprintf("addr add %s/%d dev eth0 nodad", hostAddr(slaacNet6, 1), slaacNet6.Bits()),
			"link set eth1 up")
	case h.Outside:
		cmds = append(cmds,
			"route add default via "+hostAddr(outsideNet4, 1).String(),
			"route add default via "+hostAddr(outsideNet6, 1).String())
	default:
		// IPv6 default routes come from the router's RAs (SLAAC); IPv4's
		// is static. The static ULA route covers the outside before the
		// first RA arrives.
		cmds = append(cmds,
			"route add default via "+hostRouter.IPv4().String(),
			fmt.Sprintf("route add %s via %s", outsideNet6, hostRouter.IPv6()))
	}
	if err := ipBatch(ctx, h.NS(), cmds); err != nil {
		return fmt.Errorf("lab: addresses of %s: %w", h.Name, err)
	}
	ifaces := []string{"eth0"}
	if h == hostRouter {
		ifaces = append(ifaces, "eth1")
	}
	return noChecksumOffload(ctx, h, ifaces)
}

// noChecksumOffload makes the kernel compute transport checksums itself on
// the host's interfaces. With offload (the veth default) packets leave
// with checksums the hardware would fill in, the capture on the bridge
// shows them wrong, and analysers that check checksums (Vigil, Zeek)
// would ignore most of the lab's traffic.
func noChecksumOffload(ctx context.Context, h Host, ifaces []string) error {
	for _, dev := range ifaces {
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", h.NS(), "ethtool", "-K", dev, "tx", "off").CombinedOutput()
		if err != nil {
			return fmt.Errorf("lab: checksum offload off on %s of %s: %w: %s", dev, h.Name, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// writeResolvConfs gives every host a resolv.conf naming the lab's resolver
// (bind-mounted by `ip netns exec` from /etc/netns/NS/).
func writeResolvConfs() error {
	conf := fmt.Sprintf("# written by vigil lab\nnameserver %s\nsearch %s\noptions timeout:1 attempts:1\n", hostServer.IPv4(), lanDomain)
	for _, h := range allHosts {
		dir := filepath.Join(etcNetns, h.NS())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("lab: resolv.conf of %s: %w", h.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(conf), 0o644); err != nil {
			return fmt.Errorf("lab: resolv.conf of %s: %w", h.Name, err)
		}
	}
	return nil
}

// labNamespaces lists the existing namespaces whose name has the lab's
// prefix.
func labNamespaces() ([]string, error) {
	entries, err := os.ReadDir("/run/netns")
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lab: list namespaces: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), Prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// teardown kills every process in the lab's namespaces (whoever started
// them) and deletes the namespaces and their /etc/netns files. It carries
// on past errors and returns the first.
func teardown() error {
	names, err := labNamespaces()
	var first error
	keep := func(e error) {
		if first == nil && e != nil {
			first = e
		}
	}
	keep(err)
	for _, ns := range names {
		keep(killNamespaceProcs(ns))
	}
	for _, ns := range names {
		if err := ipCmd(context.Background(), "netns", "del", ns); err != nil {
			keep(fmt.Errorf("lab: delete namespace: %w", err))
		}
	}
	keep(removeEtcNetns())
	return first
}

// killNamespaceProcs kills every process whose network namespace is ns
// (SIGKILL: at teardown nothing is owed a clean exit), and waits until
// none is left.
func killNamespaceProcs(ns string) error {
	for range 50 {
		pids, err := namespacePids(ns)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("lab: processes in %s survive SIGKILL", ns)
}

func namespacePids(ns string) ([]int, error) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil, fmt.Errorf("lab: ip netns pids %s: %w", ns, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// removeEtcNetns removes the lab's /etc/netns/vgl-* directories, and
// /etc/netns itself when that leaves it empty.
func removeEtcNetns() error {
	dirs, _ := filepath.Glob(filepath.Join(etcNetns, Prefix+"*"))
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("lab: remove %s: %w", d, err)
		}
	}
	_ = os.Remove(etcNetns) // fails, as it should, when not empty
	return nil
}
