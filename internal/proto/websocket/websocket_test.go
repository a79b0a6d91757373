package websocket

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	_ "github.com/vigil-nsm/vigil/internal/proto/http" // analyzers to find inside
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
	_ "github.com/vigil-nsm/vigil/internal/proto/ssh"
)

var ci = prototest.TCPConn("10.0.0.1", 40000, "192.0.2.80", 8888)

// frame encodes one frame: a client's (masked with key) or a server's.
func frame(fin bool, opcode byte, payload string, key string) string {
	b := []byte{opcode}
	if fin {
		b[0] |= 0x80
	}
	maskBit := byte(0)
	if key != "" {
		maskBit = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, maskBit|byte(n))
	case n < 1<<16:
		b = append(b, maskBit|126, byte(n>>8), byte(n))
	default:
		b = append(b, maskBit|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	p := []byte(payload)
	if key != "" {
		b = append(b, key...)
		for i := range p {
			p[i] ^= key[i%4]
		}
	}
	return string(append(b, p...))
}

type step struct {
	dir  proto.Direction
	data string
}

const (
	clientBanner = "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"
	serverBanner = "SSH-2.0-OpenSSH_8.9p1\r\n"
)

// sshTunnel is wstunnel's: SSH banners in binary frames, the client's
// masked and split in two fragments with a ping between them.
var sshTunnel = []step{
	{proto.FromOrig, frame(false, opBinary, clientBanner[:10], "abcd") + frame(true, 0x9, "", "wxyz") + frame(true, opContinuation, clientBanner[10:], "efgh")},
	{proto.FromResp, frame(true, 0xa, "", "") + frame(true, opBinary, serverBanner, "")},
	{proto.FromOrig, frame(true, opBinary, strings.Repeat("\x00", 300), "ijkl")}, // a 16-bit length
	{proto.FromResp, frame(true, 0x8, "\x03\xe8", "")},
}

func run(t *testing.T, steps []step, split int) (*Analyzer, *prototest.Sink) {
	t.Helper()
	sink := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, sink)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, []byte(st.data), split)
	}
	a.End(1e12)
	return a, sink
}

// TestSSHInside: the frames are unmasked and reassembled, SSH is found
// inside and writes its ssh.log record with the banners; the service
// lists it after websocket (SSH's signature needs both sides in Zeek).
func TestSSHInside(t *testing.T) {
	for split := 0; split <= 20; split++ {
		a, sink := run(t, sshTunnel, split)
		if a.Service() != "websocket,ssh" || len(sink.Recs) != 1 || !strings.HasPrefix(sink.Recs[0], "ssh ") ||
			!strings.Contains(sink.Recs[0], `"client":"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13"`) ||
			!strings.Contains(sink.Recs[0], `"server":"SSH-2.0-OpenSSH_8.9p1"`) {
			t.Fatalf("split %d: service %q, records %q", split, a.Service(), sink.Recs)
		}
	}
}

// TestHTTPInside: an HTTP request and reply in text frames (the client's
// with a 64-bit length) make an http.log record.
func TestHTTPInside(t *testing.T) {
	body := strings.Repeat("x", 70000)
	a, sink := run(t, []step{
		{proto.FromOrig, frame(true, opText, "GET /inner HTTP/1.1\r\nHost: in\r\n\r\n", "abcd")},
		{proto.FromResp, frame(true, opBinary, "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n"+body, "")},
	}, 0)
	if a.Service() != "websocket,http" || len(sink.Recs) != 1 || !strings.Contains(sink.Recs[0], `"uri":"/inner"`) ||
		!strings.Contains(sink.Recs[0], `"response_body_len":70000`) {
		t.Fatalf("service %q, records %q", a.Service(), sink.Recs)
	}
}

// TestServerSpeaksFirst: a server's binary greeting comes first, so the
// client's HTTP-looking text is no HTTP (Zeek's anchored signatures need
// the server's stream to start with a reply), as in Kaazing's echo demo.
func TestServerSpeaksFirst(t *testing.T) {
	a, sink := run(t, []step{
		{proto.FromResp, frame(true, opBinary, "\xef\x83\xbf\x4e", "")},
		{proto.FromOrig, frame(true, opText, "GET /echo HTTP/1.1\r\n\r\n", "abcd")},
		{proto.FromResp, frame(true, opBinary, "HTTP/1.1 101 Web Socket Protocol Handshake\r\n\r\n", "")},
	}, 0)
	if a.Service() != "websocket" || len(sink.Recs) != 0 {
		t.Fatalf("service %q, records %q", a.Service(), sink.Recs)
	}
}

// TestNotConfirmedWithoutAMessage: a frame header alone confirms nothing.
func TestNotConfirmedWithoutAMessage(t *testing.T) {
	a, _ := run(t, []step{{proto.FromOrig, frame(true, opText, "hello", "abcd")[:4]}}, 0)
	if a.Service() != "" {
		t.Fatalf("service %q", a.Service())
	}
}

// TestGapStops: after a gap nothing more is parsed.
func TestGapStops(t *testing.T) {
	sink := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, sink)
	a.Gap(proto.FromOrig, 10)
	for i, st := range sshTunnel {
		a.Data(st.dir, int64(i), []byte(st.data))
	}
	a.End(9)
	if a.Service() != "" || len(sink.Recs) != 0 {
		t.Fatalf("service %q, records %q", a.Service(), sink.Recs)
	}
}

func fuzzSeeds() map[string][]byte {
	var in []byte
	for _, s := range sshTunnel {
		in = prototest.AppendPieces(in, s.dir, []byte(s.data))
	}
	h := prototest.AppendPieces(nil, proto.FromOrig, []byte(frame(true, opText, "GET / HTTP/1.1\r\n\r\n", "abcd")))
	h = prototest.AppendPieces(h, proto.FromResp, []byte(frame(true, opBinary, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "")))
	return map[string][]byte{"ssh": in, "http": h}
}

func TestSeedCorpus(t *testing.T) { prototest.SeedCorpus(t, "FuzzWebSocket", fuzzSeeds()) }

// FuzzWebSocket replays pieces and gaps (see prototest.Replay) and checks
// the bounds.
func FuzzWebSocket(f *testing.F) {
	for _, in := range fuzzSeeds() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t})
		prototest.Replay(a, in, 1, 0, func(int) {
			if a.keptBytes > MaxUndecided+64 || len(a.sides[0].first) > DetectBytes || len(a.sides[1].first) > DetectBytes {
				t.Fatal("bounds")
			}
		})
		a.End(2)
		_ = a.Service()
	})
}
