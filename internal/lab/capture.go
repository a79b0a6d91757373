package lab

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// The capture point: the LAN bridge, in promiscuous mode, which sees every
// frame between LAN hosts and every frame to and from the router (so all
// traffic to the outside too, once).
const captureIface = "br0"

// tcpdump is a running tcpdump writing one pcap.
type tcpdump struct {
	p    *proc
	path string
}

// startCapture starts tcpdump on the LAN bridge and waits until it
// listens. -U writes each packet at once, -Z root keeps the privileges
// needed to write into the output directory, and the nanosecond time
// stamps keep the labels' comparisons exact.
func startCapture(sup *supervisor, path string) (*tcpdump, error) {
	argv := []string{"tcpdump", "-i", captureIface, "-U", "-n", "-s", "262144",
		"--time-stamp-precision=nano", "-Z", "root", "-w", path}
	p, err := sup.start(switchNS, "tcpdump", argv)
	if err != nil {
		return nil, err
	}
	if err := p.waitLog("listening on", 10*time.Second); err != nil {
		p.stop(syscall.SIGKILL)
		return nil, fmt.Errorf("lab: capture: %w", err)
	}
	return &tcpdump{p: p, path: path}, nil
}

var tcpdumpCounts = regexp.MustCompile(`(\d+) packets captured[\s\S]*?(\d+) packets dropped by kernel`)

// stop ends tcpdump with SIGINT, the signal on which it flushes and closes
// the file, and reports the packets it wrote and dropped.
func (c *tcpdump) stop() (packets, dropped int, err error) {
	c.p.stop(syscall.SIGINT)
	b, _ := os.ReadFile(c.p.log)
	if m := tcpdumpCounts.FindSubmatch(b); m != nil {
		packets, _ = strconv.Atoi(string(m[1]))
		dropped, _ = strconv.Atoi(string(m[2]))
		return packets, dropped, nil
	}
	return 0, 0, fmt.Errorf("lab: capture: tcpdump did not end cleanly%s", c.p.logTail())
}
