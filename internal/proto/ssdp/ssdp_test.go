package ssdp

import (
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var testConn = proto.ConnInfo{
	UID: "Cssdp", OrigH: netip.MustParseAddr("192.168.1.20"), OrigP: 50000,
	RespH: netip.MustParseAddr("239.255.255.250"), RespP: 1900, Transport: 17,
}

func TestMessages(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]any // nil: no record
	}{
		{"m-search", "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: ssdp:all\r\nUSER-AGENT: Chromium/120 Linux\r\n\r\n",
			map[string]any{"method": "M-SEARCH", "st": "ssdp:all", "mx": "2", "user_agent": "Chromium/120 Linux"}},
		{"notify", "NOTIFY * HTTP/1.1\nHost: 239.255.255.250:1900\nnt: urn:schemas-upnp-org:device:MediaRenderer:1\nNTS: ssdp:alive\nLocation: http://192.168.1.5:49152/desc.xml\nServer: Linux/3.10 UPnP/1.0 Sonos/70.3\nUSN: uuid:RINCON_1::urn:schemas-upnp-org:device:MediaRenderer:1\n",
			map[string]any{"method": "NOTIFY", "nt": "urn:schemas-upnp-org:device:MediaRenderer:1", "nts": "ssdp:alive",
				"location": "http://192.168.1.5:49152/desc.xml", "server": "Linux/3.10 UPnP/1.0 Sonos/70.3", "usn": "uuid:RINCON_1::urn:schemas-upnp-org:device:MediaRenderer:1"}},
		{"response", "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nST: upnp:rootdevice\r\nUSN: uuid:x::upnp:rootdevice\r\n\r\n",
			map[string]any{"method": "response", "status_code": 200.0, "st": "upnp:rootdevice", "usn": "uuid:x::upnp:rootdevice"}},
		{"empty header kept", "M-SEARCH * HTTP/1.1\r\nST:\r\n\r\n", map[string]any{"st": ""}},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", nil},
		{"http request", "GET / HTTP/1.1\r\n\r\n", nil},
		{"empty", "", nil},
		{"no colon lines", "NOTIFY * HTTP/1.1\r\ngarbage\r\n:novalue\r\n", map[string]any{"method": "NOTIFY"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &prototest.MapSink{}
			a := New(&testConn, s)
			a.Data(proto.FromOrig, 5e9, []byte(c.in))
			a.End(6e9)
			if c.want == nil {
				if len(s.Recs) != 0 || a.Service() != "" {
					t.Fatalf("records %v service %q", s.Recs, a.Service())
				}
				return
			}
			if len(s.Recs) != 1 || a.Service() != "ssdp" {
				t.Fatalf("records %v service %q", s.Recs, a.Service())
			}
			for k, v := range c.want {
				if s.Recs[0][k] != v {
					t.Errorf("%s = %#v, want %#v", k, s.Recs[0][k], v)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		in   string
		port uint16
		want proto.Confidence
	}{
		{"M-SEARCH * HTTP/1.1\r\n", 1900, proto.Sure},
		{"NOTIFY * HTTP/1.1\r\n", 5000, proto.Sure},
		{"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n", 50000, proto.Likely},
		{"HTTP/1.1 200 OK\r\n\r\n", 50000, proto.No},
		{"junk", 1900, proto.Maybe},
	} {
		if got := Detect(proto.FromOrig, []byte(c.in), c.port, 17); got != c.want {
			t.Errorf("%q port %d: %v, want %v", c.in, c.port, got, c.want)
		}
	}
}

func FuzzAnalyzer(f *testing.F) {
	f.Add([]byte("NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\nUSN: uuid:1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &prototest.MapSink{}
		a := New(&testConn, s)
		a.Data(proto.FromOrig, 1, b)
		a.End(2)
		Detect(proto.FromOrig, b, 1900, 17)
	})
}
