package bruteforce

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestHealthChecksAreNoGuesses: a load balancer (HAProxy's default
// "check", an F5 TCP monitor, a cloud load balancer's probe) or a
// Kubernetes tcpSocket probe checks that a service port is open every
// few seconds: it completes the handshake and closes without sending a
// byte (the server may send its banner). No password is tried on such a
// connection, yet each is a short established connection to the login
// port, so an RDP farm behind a load balancer showed its balancer
// "brute-forcing" every server, and the first real user's session after
// the checks as "logged in" (critical).
func TestHealthChecksAreNoGuesses(t *testing.T) {
	checks := func(port int, banner uint64) []dt.Line {
		var l []dt.Line
		for i := 0; i < 120; i++ { // every 5 s for 10 minutes
			l = append(l, dt.Conn{TS: 1000 + float64(i)*5, UID: fmt.Sprintf("H%d", i), Src: "10.0.0.2", SrcP: 40000 + i, Dst: "10.0.1.30", DstP: port,
				Duration: 0.002, History: "ShAFf", OrigPkts: 3, RespPkts: 2, RespBytes: banner}.Line())
		}
		return l
	}
	tests := map[string][]dt.Line{
		"rdp farm behind a load balancer": append(checks(3389, 0),
			dt.Conn{TS: 1300, Src: "10.0.0.2", SrcP: 50000, Dst: "10.0.1.30", DstP: 3389, Duration: 3600, OrigPkts: 9000, RespPkts: 12000, OrigBytes: 900_000, RespBytes: 20_000_000}.Line()),
		"ssh port check reading the banner": checks(22, 21),
		"smb port check":                    checks(445, 0),
		"telnet port check of a switch":     checks(23, 0),
	}
	for name, lines := range tests {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig()), lines)) })
	}
}
