// Package flowtest replays captures through softflowd, a real NetFlow
// v9/IPFIX exporter, for the collector's tests (internal/netflow,
// internal/serve), and counts captures the way softflowd does so that
// what arrives can be checked against the capture.
package flowtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// Totals are packets and bytes, overall and per IP version and protocol.
type Totals struct {
	Packets, Bytes int64
	ByProto        map[string][2]int64 // "4/tcp" → packets, bytes
	// First and Last are the capture's first and last frame times.
	First, Last float64
}

// Add counts pkts packets and bytes of protocol proto (conn.log's names)
// over IP version ipv.
func (t *Totals) Add(ipv int, proto string, pkts, bytes int64) {
	if t.ByProto == nil {
		t.ByProto = map[string][2]int64{}
	}
	t.Packets += pkts
	t.Bytes += bytes
	k := fmt.Sprintf("%d/%s", ipv, proto)
	v := t.ByProto[k]
	t.ByProto[k] = [2]int64{v[0] + pkts, v[1] + bytes}
}

// Bytes6 returns the bytes over IPv6.
func (t *Totals) Bytes6() int64 {
	var n int64
	for k, v := range t.ByProto {
		if strings.HasPrefix(k, "6/") {
			n += v[1]
		}
	}
	return n
}

func (t *Totals) String() string {
	keys := make([]string, 0, len(t.ByProto))
	for k := range t.ByProto {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d packets %d bytes (", t.Packets, t.Bytes)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d/%d", k, t.ByProto[k][0], t.ByProto[k][1])
	}
	b.WriteString(")")
	return b.String()
}

// Diff lists where got differs from want, overall and per protocol.
func Diff(got, want *Totals) []string {
	var out []string
	if got.Packets != want.Packets || got.Bytes != want.Bytes {
		out = append(out, fmt.Sprintf("flows carry %d packets %d bytes, the capture %d packets %d bytes",
			got.Packets, got.Bytes, want.Packets, want.Bytes))
	}
	for k, w := range want.ByProto {
		if g := got.ByProto[k]; g != w {
			out = append(out, fmt.Sprintf("%s: flows %d packets %d bytes, capture %d packets %d bytes", k, g[0], g[1], w[0], w[1]))
		}
	}
	for k, g := range got.ByProto {
		if _, ok := want.ByProto[k]; !ok {
			out = append(out, fmt.Sprintf("%s: %d packets in flows, none in the capture", k, g[0]))
		}
	}
	sort.Strings(out)
	return out
}

// CaptureTotals counts a capture the way softflowd does, independently of
// Vigil's decoder: every Ethernet frame (VLAN tags skipped) whose
// EtherType is IPv4 or IPv6 is one packet of its IP protocol (the IPv6
// extension headers walked), and its bytes are its length on the wire
// less the link-layer header — softflowd's pcap_pkthdr len minus the
// header it skips, so Ethernet padding would count. The lab's captures
// have none, so this is also the sum of the IP total lengths; a
// difference is logged. ARP and other non-IP frames make no flows.
func CaptureTotals(t testing.TB, path string) Totals {
	t.Helper()
	src, err := capture.Open([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var tot Totals
	var f capture.Frame
	var ipLen int64
	for {
		err := src.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.LinkType != decode.LinkEthernet {
			t.Fatalf("%s: link type %v; only Ethernet is counted", path, f.LinkType)
		}
		ts := float64(f.TS) / 1e9
		if tot.First == 0 {
			tot.First = ts
		}
		tot.Last = max(tot.Last, ts)
		d, hdr := f.Data, 14
		if len(d) < hdr {
			continue
		}
		et := binary.BigEndian.Uint16(d[12:])
		for (et == 0x8100 || et == 0x88a8) && len(d) >= hdr+4 {
			et = binary.BigEndian.Uint16(d[hdr+2:])
			hdr += 4
		}
		ip := d[hdr:]
		switch {
		case et == 0x0800 && len(ip) >= 20 && ip[0]>>4 == 4:
			tot.Add(4, ProtoName(ip[9]), 1, int64(f.OrigLen-hdr))
			ipLen += int64(binary.BigEndian.Uint16(ip[2:]))
		case et == 0x86dd && len(ip) >= 40 && ip[0]>>4 == 6:
			tot.Add(6, ProtoName(ipv6Proto(ip)), 1, int64(f.OrigLen-hdr))
			ipLen += 40 + int64(binary.BigEndian.Uint16(ip[4:]))
		}
	}
	if ipLen != tot.Bytes {
		t.Logf("%s: IP lengths add up to %d bytes, frames less link headers to %d (padding)", path, ipLen, tot.Bytes)
	}
	return tot
}

// ipv6Proto walks the extension headers (hop-by-hop, routing,
// destination options, fragment) to the upper-layer protocol.
func ipv6Proto(ip []byte) byte {
	next, off := ip[6], 40
	for {
		switch next {
		case 0, 43, 60:
			if len(ip) < off+2 {
				return next
			}
			next, off = ip[off], off+8*(int(ip[off+1])+1)
		case 44:
			if len(ip) < off+8 {
				return next
			}
			next, off = ip[off], off+8
		default:
			return next
		}
	}
}

// ProtoName is conn.log's name of an IP protocol (ICMPv6 is "icmp", as
// in Zeek).
func ProtoName(p byte) string {
	switch p {
	case 1, 58:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 132:
		return "sctp"
	}
	return strconv.Itoa(int(p))
}

// Softflowd returns the path of softflowd; it skips the test when it is
// not installed, unless VIGIL_LAB_REQUIRED=1 (CI installs it with
// scripts/lab-deps.sh).
func Softflowd(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("softflowd")
	if err != nil {
		if os.Getenv("VIGIL_LAB_REQUIRED") == "1" {
			t.Fatal("softflowd not installed (VIGIL_LAB_REQUIRED=1); scripts/lab-deps.sh installs it")
		}
		t.Skip("softflowd not installed (Debian package softflowd; scripts/lab-deps.sh)")
	}
	return p
}

// Export is what softflowd reports it did.
type Export struct {
	Processed int64  // packets it counted (those sampled, with -s)
	Records   int    // flow records sent
	Datagrams uint64 // export datagrams sent
	Output    string
}

var (
	processedRE = regexp.MustCompile(`Packets processed: (\d+)`)
	exportedRE  = regexp.MustCompile(`Flows exported: \d+ \((\d+) records\) in (\d+) packets \((\d+) failures\)`)
)

// Replay runs softflowd on the capture path, exporting to addr (a
// loopback UDP address) with NetFlow version ("9", "10" for IPFIX), full
// tracking, IPv6 and 1-in-rate sampling when rate > 1, and returns its
// statistics once it has sent everything.
func Replay(t testing.TB, bin, path, addr, version string, rate int) Export {
	t.Helper()
	// -r implies the foreground and no control socket ("-c none" keeps it
	// so: with one, softflowd 1.1.0 may block in accept(); -d would make
	// it wait after the end of the file). The pid file goes to a
	// temporary directory, never /var/run.
	args := []string{"-r", path, "-n", addr, "-v", version, "-T", "full", "-6", "-c", "none",
		"-p", filepath.Join(t.TempDir(), "softflowd.pid")}
	if rate > 1 {
		args = append(args, "-s", strconv.Itoa(rate))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("softflowd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	m, e := processedRE.FindSubmatch(out), exportedRE.FindSubmatch(out)
	if m == nil || e == nil {
		t.Fatalf("softflowd printed no statistics:\n%s", out)
	}
	if string(e[3]) != "0" {
		t.Fatalf("softflowd failed to send:\n%s", out)
	}
	var x Export
	x.Processed, _ = strconv.ParseInt(string(m[1]), 10, 64)
	x.Records, _ = strconv.Atoi(string(e[1]))
	x.Datagrams, _ = strconv.ParseUint(string(e[2]), 10, 64)
	x.Output = string(out)
	return x
}

// Wait polls done every 20 ms until it reports true or timeout passes.
func Wait(timeout time.Duration, done func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
