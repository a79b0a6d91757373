package arpspoof

import (
	"bytes"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

func arp(ts float64, mac, ip, dstMAC, dstIP string, op int) dt.Line {
	return dt.Rec("_arp", map[string]any{"ts": ts, "src_mac": mac, "src_ip": ip, "dst_mac": dstMAC, "dst_ip": dstIP, "op": op})
}

const (
	gwMAC  = "02:00:00:00:00:01"
	badMAC = "02:00:00:00:00:66"
	vicMAC = "02:00:00:00:00:20"
)

func TestSpoof(t *testing.T) {
	l := []dt.Line{
		arp(1000, gwMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2),
		arp(1001, badMAC, "10.66.0.66", "ff:ff:ff:ff:ff:ff", "10.66.0.1", 1),
	}
	for i := 0; i < 30; i++ {
		ts := 1010 + float64(i)*2
		l = append(l, arp(ts, badMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2))
		if i%5 == 0 {
			l = append(l, arp(ts+0.5, gwMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2))
		}
	}
	alerts := dt.Run(t, New(DefaultConfig()), l)
	a := dt.Find(t, alerts, "arp.spoof")
	if a.Src != "10.66.0.66" || a.Dst != "10.66.0.1" || a.Evidence["spoofer_mac"] != badMAC {
		t.Errorf("alert %s", a.JSON())
	}
	if len(a.Dsts) != 2 || a.Dsts[1] != "10.66.0.20" {
		t.Errorf("dsts %v", a.Dsts)
	}
	if dt.Num(t, a, "flaps") < 10 {
		t.Errorf("flaps %v", a.Evidence["flaps"])
	}
}

func TestGratuitousStorm(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 100; i++ {
		l = append(l, arp(1000+float64(i)/10, badMAC, "10.66.0.66", "ff:ff:ff:ff:ff:ff", "10.66.0.66", 1))
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "arp.spoof")
	if a.Evidence["kind"] != "gratuitous storm" {
		t.Errorf("alert %s", a.JSON())
	}
}

// TestARPFlux: a host with two interfaces on the link (10.66.0.40 and
// .41), each answering requests for both addresses, makes each address
// flap between its two MACs, each answering the gateway's requests: no
// spoofing. The same from replies nobody asked for is, and so is a
// spoofer of both addresses of a two-address router.
func TestARPFlux(t *testing.T) {
	const nic1, nic2 = "02:00:00:00:00:40", "02:00:00:00:00:41"
	var l []dt.Line
	for i := 0; i < 30; i++ {
		ts := 1000 + float64(i)*5
		first, second := nic1, nic2
		if i%2 == 1 {
			first, second = nic2, nic1 // whichever interface answers first
		}
		for _, ip := range []string{"10.66.0.40", "10.66.0.41"} { // the gateway asks; both answer
			l = append(l, arp(ts-0.001, gwMAC, "10.66.0.1", "ff:ff:ff:ff:ff:ff", ip, 1),
				arp(ts, first, ip, gwMAC, "10.66.0.1", 2), arp(ts+0.001, second, ip, gwMAC, "10.66.0.1", 2))
		}
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))

	// The same flapping from replies nobody asked for is spoofing.
	var unasked []dt.Line
	for _, x := range l {
		if !bytes.Contains(x.JSON, []byte(`"op":1`)) {
			unasked = append(unasked, x)
		}
	}
	dt.Find(t, dt.Run(t, New(DefaultConfig()), unasked), "arp.spoof")

	// One announcement of its own address by the second interface does
	// not make it a spoofer (the fourth review's case).
	announced := append(append([]dt.Line(nil), l...), arp(1057, nic2, "10.66.0.41", "ff:ff:ff:ff:ff:ff", "10.66.0.41", 1))
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), announced))

	// A spoofer replying every second, unasked, to both addresses of a
	// host whose owner answers only the gateway's requests: its replies
	// between flaps count too, not only those that flap (the fourth
	// review's case).
	const own = "02:00:00:00:00:40"
	l = []dt.Line{arp(990, own, "10.66.0.40", gwMAC, "10.66.0.1", 2), arp(990.1, own, "10.66.0.41", gwMAC, "10.66.0.1", 2)}
	for sec := 0; sec < 120; sec++ {
		ts := 1000 + float64(sec)
		for _, ip := range []string{"10.66.0.40", "10.66.0.41"} {
			if sec%10 == 0 {
				l = append(l, arp(ts, gwMAC, "10.66.0.1", "ff:ff:ff:ff:ff:ff", ip, 1), arp(ts+0.001, own, ip, gwMAC, "10.66.0.1", 2))
			}
			l = append(l, arp(ts+0.5, badMAC, ip, gwMAC, "10.66.0.1", 2))
		}
	}
	dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "arp.spoof")

	// A spoofer impersonating both addresses of a router that has two
	// also claims its own: still spoofing.
	l = []dt.Line{arp(990, gwMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2), arp(990.5, gwMAC, "10.66.0.2", vicMAC, "10.66.0.20", 2),
		arp(991, badMAC, "10.66.0.66", "ff:ff:ff:ff:ff:ff", "10.66.0.1", 1)}
	for i := 0; i < 30; i++ {
		ts := 1000 + float64(i)*2
		for _, ip := range []string{"10.66.0.1", "10.66.0.2"} {
			l = append(l, arp(ts, badMAC, ip, vicMAC, "10.66.0.20", 2))
			if i%5 == 0 {
				l = append(l, arp(ts+0.5, gwMAC, ip, vicMAC, "10.66.0.20", 2))
			}
		}
	}
	dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "arp.spoof")
}

func TestQuiet(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 200; i++ {
		ts := 1000 + float64(i)*30
		l = append(l, arp(ts, vicMAC, "10.66.0.20", "ff:ff:ff:ff:ff:ff", "10.66.0.1", 1))
		l = append(l, arp(ts+0.01, gwMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2))
	}
	// a DHCP lease moving to a new machine once
	l = append(l, arp(9000, "02:00:00:00:00:77", "10.66.0.20", "ff:ff:ff:ff:ff:ff", "10.66.0.20", 1))
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), l))
}
