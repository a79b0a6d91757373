package http

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// WebSocketLog is the log of WebSocket handshakes (Zeek's websocket.log).
const WebSocketLog = "websocket"

// wsHandshake is what the Sec-WebSocket-* headers of a connection said
// (Zeek's WebSocket::Info, gathered from the http_header events of the
// whole connection, as its script does).
type wsHandshake struct {
	clientKey, serverAccept, subprotocol []byte
	hasKey, hasAccept, hasSubprotocol    bool
	clientProtocols, clientExtensions    [][]byte
	serverExtensions                     [][]byte
}

// maxWSValues bounds the protocols and extensions kept of each list.
const maxWSValues = 32

// wsHeader notes a Sec-WebSocket-* header of dir.
func (a *Analyzer) wsHeader(dir proto.Direction, kind hdrKind, v []byte) {
	if a.ws == nil {
		a.ws = &wsHandshake{}
	}
	ws := a.ws
	switch {
	case dir == proto.FromOrig && kind == hdrWSProtocol:
		ws.clientProtocols = appendSplit(ws.clientProtocols, v)
	case dir == proto.FromOrig && kind == hdrWSExtensions:
		ws.clientExtensions = appendSplit(ws.clientExtensions, v)
	case dir == proto.FromOrig && kind == hdrWSKey:
		if ws.hasKey {
			a.weirds.Log(a.out, a.now, a.ci, "websocket_multiple_key_headers", "", "WebSocket")
		}
		ws.clientKey, ws.hasKey = append(ws.clientKey[:0], v...), true
	case dir == proto.FromResp && kind == hdrWSProtocol:
		if ws.hasSubprotocol {
			a.weirds.Log(a.out, a.now, a.ci, "websocket_multiple_protocol_headers", "", "WebSocket")
		}
		ws.subprotocol, ws.hasSubprotocol = append(ws.subprotocol[:0], v...), true
	case dir == proto.FromResp && kind == hdrWSExtensions:
		ws.serverExtensions = appendSplit(ws.serverExtensions, v)
	case dir == proto.FromResp && kind == hdrWSAccept:
		if ws.hasAccept {
			a.weirds.Log(a.out, a.now, a.ci, "websocket_multiple_accept_headers", "", "WebSocket")
		}
		ws.serverAccept, ws.hasAccept = append(ws.serverAccept[:0], v...), true
	}
}

// appendSplit appends the comma-separated elements of v (Zeek's
// split_string(v, / *, */): spaces around the commas go).
func appendSplit(list [][]byte, v []byte) [][]byte {
	for {
		elem, rest, more := bytes.Cut(v, []byte{','})
		if len(list) < maxWSValues {
			list = append(list, bytes.Clone(bytes.TrimRight(elem, " ")))
		}
		if !more {
			return list
		}
		v = bytes.TrimLeft(rest, " ")
	}
}

// websocketHandshakeGUID is RFC 6455's key suffix.
const websocketHandshakeGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// websocketEstablished is Zeek's websocket_established: a 101 switched
// the connection to WebSocket. The handshake is checked and logged (its
// host, URI and User-Agent those of t, the upgrading request), and the
// connection is handed over to the WebSocket analyzer (Upgrade).
func (a *Analyzer) websocketEstablished(t *txn) {
	ws := a.ws
	if ws == nil {
		a.weirds.Log(a.out, a.now, a.ci, "websocket_established_unexpected", "", "WebSocket")
		ws = &wsHandshake{}
	}
	if !ws.hasKey {
		a.weirds.Log(a.out, a.now, a.ci, "websocket_missing_key_header", "", "WebSocket")
	}
	if !ws.hasAccept {
		a.weirds.Log(a.out, a.now, a.ci, "websocket_missing_accept_header", "", "WebSocket")
	}
	if ws.hasKey && ws.hasAccept {
		sum := sha1.Sum(append(bytes.Clone(ws.clientKey), websocketHandshakeGUID...))
		if want := base64.StdEncoding.EncodeToString(sum[:]); want != string(ws.serverAccept) {
			a.weirds.Log(a.out, a.now, a.ci, "websocket_wrong_accept_header",
				"expected="+want+", found="+string(ws.serverAccept), "WebSocket")
		}
	}
	a.tunnel, a.upgradeTo = tunnelOpened, WebSocketLog
	if a.out == nil {
		return
	}
	b := proto.AppendConnHeader(nil, a.now, a.ci)
	if t != nil && t.hasHost {
		b = record.AppendBytesString(append(b, `,"host":`...), t.host)
	}
	if t != nil && t.hasURI {
		b = record.AppendBytesString(append(b, `,"uri":`...), t.uri)
	}
	if t != nil && t.hasUA {
		b = record.AppendBytesString(append(b, `,"user_agent":`...), t.userAgent)
	}
	if ws.hasSubprotocol {
		b = record.AppendBytesString(append(b, `,"subprotocol":`...), ws.subprotocol)
	}
	b = appendByteList(b, "client_protocols", ws.clientProtocols)
	b = appendByteList(b, "server_extensions", ws.serverExtensions)
	b = appendByteList(b, "client_extensions", ws.clientExtensions)
	a.out.Record(WebSocketLog, append(b, '}'))
}

// appendByteList appends the field k as a JSON array of strings, unless list
// is empty (unset in Zeek).
func appendByteList(b []byte, k string, list [][]byte) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(record.AppendKey(b, k), '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = record.AppendBytesString(b, v)
	}
	return append(b, ']')
}
