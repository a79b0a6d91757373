package longconn

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
)

func TestLongConn(t *testing.T) {
	internal := netset.MustParse(netset.DefaultInternal...)
	d := New(DefaultConfig(), internal)
	alerts := dt.Run(t, d, []dt.Line{
		dt.Conn{TS: 1000, Src: "10.0.0.7", SrcP: 50000, Dst: "203.0.113.9", DstP: 4444, Duration: 7200, OrigBytes: 1e5, RespBytes: 2e5}.Line(),
	})
	a := dt.Find(t, alerts, "conn.long")
	if a.Src != "10.0.0.7" || a.Dst != "203.0.113.9" || dt.Num(t, a, "duration_s") != 7200 {
		t.Errorf("alert %s", a.JSON())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), []dt.Line{
		dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "203.0.113.9", DstP: 443, Duration: 1800}.Line(),
		dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "10.0.0.22", DstP: 22, Duration: 9000}.Line(),
		dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "203.0.113.10", DstP: 8883, Duration: 90000}.Line(),
	}))
	// Multicast and broadcast "connections" (ICMPv6 RAs to all nodes,
	// RSs to all routers, SSDP, DHCP) are no channel held with a host,
	// with or without external_only.
	for _, externalOnly := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.ExternalOnly = externalOnly
		dt.Quiet(t, dt.Run(t, New(cfg, internal), []dt.Line{
			dt.Conn{TS: 1000, Src: "fe80::1", Dst: "ff02::1", DstP: 134, Proto: "icmp", Duration: 7200}.Line(),
			dt.Conn{TS: 1000, Src: "fe80::15", Dst: "ff02::2", DstP: 133, Proto: "icmp", Duration: 7200}.Line(),
			dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "239.255.255.250", DstP: 1900, Proto: "udp", Duration: 7200}.Line(),
			dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "255.255.255.255", DstP: 67, Proto: "udp", Duration: 7200}.Line(),
		}))
	}
}
