//go:build linux

// Package livetest gives tests of live capture a private network: two
// network namespaces joined by a veth pair, addressed in 10.x and fd00::
// inside those namespaces only, and traffic between them made by Go
// sockets opened inside the namespaces (and ping, when installed). It
// needs root; without it (or when `ip netns add` fails) a test skips,
// unless VIGIL_LAB_REQUIRED=1, where it fails.
package livetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Pair is two namespaces joined by a veth pair: If[i] lives in NS[i] with
// addresses V4[i] (10.x/24) and V6[i] (fd00:…/64). Namespaces are named
// vgllive-XXXXa/b, not vgl-…: the lab's teardown deletes every vgl-*
// namespace, and lab tests may run at the same time.
type Pair struct {
	NS [2]string
	If [2]string
	V4 [2]netip.Addr
	V6 [2]netip.Addr
}

// NewPair makes a pair for t and removes it when t ends (also on failure).
func NewPair(t testing.TB) *Pair {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("VIGIL_LAB_REQUIRED") == "1" {
		skip = t.Fatalf
	}
	if os.Geteuid() != 0 {
		skip("live capture test: needs root (network namespaces, AF_PACKET)")
		return nil
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("live capture test: no ip command (iproute2): %v", err)
		return nil
	}
	var rnd [3]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:2])
	p := &Pair{
		NS: [2]string{"vgllive-" + id + "a", "vgllive-" + id + "b"},
		If: [2]string{"vgl" + id + "a", "vgl" + id + "b"},
	}
	net3 := 1 + rnd[2]%250
	for i := range 2 {
		p.V4[i] = netip.AddrFrom4([4]byte{10, 213, net3, byte(i + 1)})
		p.V6[i] = netip.MustParseAddr(fmt.Sprintf("fd00:213:%x::%d", net3, i+1))
	}
	if out, err := exec.Command("ip", "netns", "add", p.NS[0]).CombinedOutput(); err != nil {
		skip("live capture test: ip netns add: %v: %s", err, out)
		return nil
	}
	t.Cleanup(func() { p.remove(t) })
	if out, err := exec.Command("ip", "netns", "add", p.NS[1]).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	cmds := [][]string{
		{"link", "add", p.If[0], "netns", p.NS[0], "type", "veth", "peer", "name", p.If[1], "netns", p.NS[1]},
	}
	for _, c := range cmds {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	for i := range 2 {
		for _, c := range [][]string{
			{"ip", "link", "set", "lo", "up"},
			{"ip", "addr", "add", p.V4[i].String() + "/24", "dev", p.If[i]},
			{"ip", "addr", "add", p.V6[i].String() + "/64", "dev", p.If[i], "nodad"},
			{"ip", "link", "set", p.If[i], "up"},
		} {
			if _, err := p.Exec(i, c...); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The link is up when both ends say so.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := p.Exec(0, "ip", "-o", "link", "show", p.If[0])
		if bytes.Contains(out, []byte("state UP")) || bytes.Contains(out, []byte("LOWER_UP")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("veth pair did not come up: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

func (p *Pair) remove(t testing.TB) {
	for _, ns := range p.NS {
		// Deleting a namespace removes its end of the veth pair, and with
		// it the other end.
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil &&
			!bytes.Contains(out, []byte("No such file")) {
			t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	}
}

// Exec runs a command in namespace i (ip netns exec) and returns its
// combined output.
func (p *Pair) Exec(i int, args ...string) ([]byte, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", p.NS[i]}, args...)...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ip netns exec %s %s: %v: %s", p.NS[i], strings.Join(args, " "), err, out)
	}
	return out, nil
}

// Do runs fn on an OS thread moved into namespace i: sockets fn opens
// belong to that namespace (and stay there when used elsewhere). The
// thread moves back afterwards; if it cannot, it is not reused.
func (p *Pair) Do(i int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer self.Close()
		target, err := os.Open(filepath.Join("/run/netns", p.NS[i]))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", p.NS[i], err)
			return
		}
		ferr := fn()
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		} // else the goroutine ends locked and the thread is discarded
		errc <- ferr
	}()
	return <-errc
}

// Flow is one exchange Traffic made, as conn.log should show it: the
// originator is always in NS[0].
type Flow struct {
	Proto      string // tcp, udp, icmp
	Orig, Resp netip.Addr
	OrigPort   uint16 // 0 for ICMP
	RespPort   uint16
	OrigBytes  int // payload bytes each way (TCP and UDP)
	RespBytes  int
	OrigPkts   int // datagrams each way (UDP and ICMP); TCP varies
	RespPkts   int
	ConnState  string // SF for TCP
	Fragmented bool   // ICMP: one echo was large enough to be fragmented
}

// Options shape Traffic.
type Options struct {
	// ExtraUDP adds that many more UDP exchanges (one datagram each way,
	// distinct ports) so that a fanout hash spreads flows.
	ExtraUDP int
	// Ping also pings both addresses (3 echos, one of 3000 bytes:
	// fragmented) when ping is installed.
	Ping bool
}

// Traffic makes, from NS[0] to NS[1], over IPv4 and IPv6: one TCP
// connection (1000 bytes up, 500 down, both sides closed: SF), one UDP
// exchange (3 datagrams each way), opts.ExtraUDP more, and the pings. It
// returns the flows made; the ports are the ones used.
func (p *Pair) Traffic(ctx context.Context, opts Options) ([]Flow, error) {
	var flows []Flow
	for _, v6 := range []bool{false, true} {
		orig, resp := p.V4[0], p.V4[1]
		if v6 {
			orig, resp = p.V6[0], p.V6[1]
		}
		f, err := p.tcpExchange(ctx, orig, resp, 1000, 500)
		if err != nil {
			return nil, err
		}
		flows = append(flows, f)
		f, err = p.udpExchange(ctx, orig, resp, 3)
		if err != nil {
			return nil, err
		}
		flows = append(flows, f)
		for range opts.ExtraUDP {
			f, err = p.udpExchange(ctx, orig, resp, 1)
			if err != nil {
				return nil, err
			}
			flows = append(flows, f)
		}
		if opts.Ping {
			if HavePing() {
				if _, err := p.Exec(0, "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "2", resp.String()); err != nil {
					return nil, err
				}
				if _, err := p.Exec(0, "ping", "-n", "-q", "-c", "1", "-s", "3000", "-W", "2", resp.String()); err != nil {
					return nil, err
				}
				flows = append(flows, Flow{Proto: "icmp", Orig: orig, Resp: resp, OrigPort: 8, RespPort: 0, OrigPkts: 3, RespPkts: 3,
					Fragmented: true})
			}
		}
	}
	return flows, nil
}

// tcpExchange opens a listener in NS[1] and a connection from NS[0],
// sends up bytes, reads down bytes back and closes both sides.
func (p *Pair) tcpExchange(ctx context.Context, orig, resp netip.Addr, up, down int) (Flow, error) {
	var ln net.Listener
	if err := p.Do(1, func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(resp, 0).String())
		return err
	}); err != nil {
		return Flow{}, err
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		n, err := io.Copy(io.Discard, c)
		if err == nil && n != int64(up) {
			err = fmt.Errorf("server read %d bytes, want %d", n, up)
		}
		if err == nil {
			_, err = c.Write(bytes.Repeat([]byte("r"), down))
		}
		srvErr <- err
	}()
	var conn net.Conn
	if err := p.Do(0, func() (err error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err = d.DialContext(ctx, "tcp", ln.Addr().String())
		return err
	}); err != nil {
		return Flow{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(bytes.Repeat([]byte("q"), up)); err != nil {
		return Flow{}, err
	}
	conn.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(conn)
	if err != nil {
		return Flow{}, err
	}
	if len(got) != down {
		return Flow{}, fmt.Errorf("client read %d bytes, want %d", len(got), down)
	}
	if err := <-srvErr; err != nil {
		return Flow{}, err
	}
	conn.Close()
	lp := netip.MustParseAddrPort(conn.LocalAddr().String()).Port()
	rp := netip.MustParseAddrPort(ln.Addr().String()).Port()
	return Flow{Proto: "tcp", Orig: orig, Resp: resp, OrigPort: lp, RespPort: rp, OrigBytes: up, RespBytes: down, ConnState: "SF"}, nil
}

// udpExchange sends n datagrams of 100 bytes from NS[0] to an echo
// socket in NS[1], each answered with 60 bytes.
func (p *Pair) udpExchange(ctx context.Context, orig, resp netip.Addr, n int) (Flow, error) {
	var srv, cli net.PacketConn
	if err := p.Do(1, func() (err error) {
		srv, err = net.ListenPacket("udp", netip.AddrPortFrom(resp, 0).String())
		return err
	}); err != nil {
		return Flow{}, err
	}
	defer srv.Close()
	if err := p.Do(0, func() (err error) {
		cli, err = net.ListenPacket("udp", netip.AddrPortFrom(orig, 0).String())
		return err
	}); err != nil {
		return Flow{}, err
	}
	defer cli.Close()
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 2048)
		srv.SetDeadline(time.Now().Add(10 * time.Second))
		for range n {
			_, from, err := srv.ReadFrom(buf)
			if err != nil {
				done <- err
				return
			}
			if _, err := srv.WriteTo(bytes.Repeat([]byte("a"), 60), from); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	buf := make([]byte, 2048)
	cli.SetDeadline(time.Now().Add(10 * time.Second))
	for range n {
		if _, err := cli.WriteTo(bytes.Repeat([]byte("u"), 100), srv.LocalAddr()); err != nil {
			return Flow{}, err
		}
		if _, _, err := cli.ReadFrom(buf); err != nil {
			return Flow{}, err
		}
	}
	if err := <-done; err != nil {
		return Flow{}, err
	}
	if ctx.Err() != nil {
		return Flow{}, ctx.Err()
	}
	lp := netip.MustParseAddrPort(cli.LocalAddr().String()).Port()
	rp := netip.MustParseAddrPort(srv.LocalAddr().String()).Port()
	return Flow{Proto: "udp", Orig: orig, Resp: resp, OrigPort: lp, RespPort: rp, OrigBytes: 100 * n, RespBytes: 60 * n,
		OrigPkts: n, RespPkts: n}, nil
}

// HavePing reports whether ping is installed (Traffic pings only then).
func HavePing() bool {
	_, err := exec.LookPath("ping")
	return err == nil
}
