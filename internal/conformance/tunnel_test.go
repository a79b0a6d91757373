package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// tunnelSpec compares tunnel.log. Records pair by the tunnel's tuple (the
// outer connection's, ports 0 for IP-level tunnels and HTTP CONNECT's
// client side), then by agreement (action tells DISCOVER from CLOSE) and
// ts. The uid is not compared: Zeek's and Vigil's uids differ (conn.log's
// tunnel_parents, checked by the conn tests, names the same ones).
var tunnelSpec = &LogSpec{
	Fields: []Field{{"tunnel_type", Text}, {"action", Text}},
	Keys:   tupleFields,
	Label:  "action",
}

// tunnelFloors are set just under what TestTunnelConformance reaches.
var tunnelFloors = logFloors{rows: 0.99, fields: 0.99}

// tunnelExcluded are the tunnel.log baselines not compared, with why.
var tunnelExcluded = map[string]string{
	"core.tunnels.max-depth-exceeded": "Zeek decapsulates only Tunnel::max_depth (2) levels of the three VXLAN ones; " +
		"Vigil decodes up to decode.MaxTunnels (4): core.tunnels.max-depth compares the same trace at depth 3",
	"scripts.base.protocols.socks.socks-auth-2": socksWhy,
	"scripts.base.protocols.socks.socks-auth":   socksWhy,
	"scripts.base.protocols.socks.trace1":       socksWhy,
	"scripts.base.protocols.socks.trace2":       socksWhy,
	"scripts.base.protocols.socks.trace3":       socksWhy,
}

// socksWhy: Vigil's SOCKS analyzer hands the tunnel over to the protocol
// inside (ssl.log, http.log …) but writes no socks.log and no tunnel.log.
const socksWhy = "SOCKS tunnel: Vigil's SOCKS analyzer writes no tunnel.log"

// TestTunnelConformance compares the pipeline's tunnel.log with Zeek's
// baselines.
func TestTunnelConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "tunnel.log", tunnelExcluded)
	logExcluded(t, skipped)
	logConformance(t, zeekDir, "tunnel", jobs, tunnelSpec, tunnelFloors)
}
