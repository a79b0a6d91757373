package http

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// TestWebSocketHandshake: a 101 switching to WebSocket writes one
// websocket.log record (Zeek's fields: the upgrading request's host, URI
// and User-Agent; the server's subprotocol; each side's lists split at
// commas), checks Sec-WebSocket-Accept against the key, and hands the
// bytes after the 101's headers over to the "websocket" analyzer.
func TestWebSocketHandshake(t *testing.T) {
	req := "GET /chat?x=1 HTTP/1.1\r\nHost: ws.example\r\nUser-Agent: test/1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat , superchat\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
	for _, c := range []struct {
		name, accept string
		weirds       []string
	}{
		{"right accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", nil},
		{"wrong accept", "AAAA", []string{"websocket_wrong_accept_header=expected=s3pPLMBiTxaQ9kYGzzhZRbK+xOo=, found=AAAA"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := &prototest.MapSink{LogKey: "_log"}
			a := New(prototest.TCPConn("10.0.0.1", 40000, "192.0.2.80", 80), sink)
			a.Data(proto.FromOrig, 1e9, []byte(req))
			reply := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + c.accept +
				"\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
			a.Data(proto.FromResp, 2e9, []byte(reply+"\x81\x05hello"))
			next, used, ok := a.Upgrade()
			if !ok || next != "websocket" || used != len(reply) {
				t.Fatalf("Upgrade() = %q, %d, %v; want websocket, %d", next, used, ok, len(reply))
			}
			a.End(3e9)
			var ws []map[string]any
			for _, r := range sink.Recs {
				if r["_log"] == WebSocketLog {
					ws = append(ws, r)
				}
			}
			if len(ws) != 1 {
				t.Fatalf("websocket records %v", ws)
			}
			got, _ := json.Marshal(ws[0])
			for _, want := range []string{`"host":"ws.example"`, `"uri":"/chat?x=1"`, `"user_agent":"test/1"`, `"subprotocol":"chat"`,
				`"client_protocols":["chat","superchat"]`, `"client_extensions":["permessage-deflate; client_max_window_bits"]`, `"ts":2`} {
				if !strings.Contains(string(got), want) {
					t.Errorf("record %s lacks %s", got, want)
				}
			}
			if w := sink.Weirds(); !slices.Equal(w, c.weirds) {
				t.Errorf("weirds %q, want %q", w, c.weirds)
			}
		})
	}
}

// TestWebSocketMissingHeaders: a 101 to websocket without the key and
// accept headers is still logged, with Zeek's weirds.
func TestWebSocketMissingHeaders(t *testing.T) {
	sink := &prototest.MapSink{LogKey: "_log"}
	a := New(prototest.TCPConn("10.0.0.1", 40000, "192.0.2.80", 80), sink)
	a.Data(proto.FromOrig, 1, []byte("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))
	a.Data(proto.FromResp, 2, []byte("HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\n\r\n"))
	if next, _, ok := a.Upgrade(); !ok || next != "websocket" {
		t.Fatalf("Upgrade() = %q, %v", next, ok)
	}
	want := []string{"websocket_established_unexpected=", "websocket_missing_key_header=", "websocket_missing_accept_header="}
	if w := sink.Weirds(); !slices.Equal(w, want) {
		t.Errorf("weirds %q, want %q", w, want)
	}
}
