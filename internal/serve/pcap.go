package serve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/store"
)

// maxExportPackets caps an incident's pcap.
const maxExportPackets = 200000

// incidentPcap writes the packets of the incident's evidence connections,
// read again from the ingested captures (DATA/done/…), as a pcap file.
// Flows that came from NetFlow or logs have no packets: the response is
// then 404 with an explanation.
func (s *Server) incidentPcap(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := s.st.Incident(r.Context(), id)
	if err != nil {
		reply(w, nil, err)
		return
	}
	m := newConnMatcher(d.Conns)
	var files []string
	for _, src := range d.Sources {
		if _, err := os.Stat(src); err == nil {
			files = append(files, src)
		}
	}
	if len(m.keys) == 0 || len(files) == 0 {
		writeErr(w, http.StatusNotFound, "no packets for this incident: its evidence has no connections from a stored capture "+
			"(NetFlow and log inputs carry no packets, and retention may have removed the capture or the rows)")
		return
	}
	w.Header().Set("Content-Type", "application/vnd.tcpdump.pcap")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="incident-%s.pcap"`, sanitize(id)))
	bw := bufio.NewWriterSize(w, 1<<16)
	if n, err := exportPackets(bw, files, m); err != nil {
		s.logf("pcap export of %s after %d packets: %v", id, n, err)
	}
	bw.Flush()
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// flowKey is a connection's addresses, ports and transport, in a
// canonical order so both directions match.
type flowKey struct {
	a, b   netip.Addr
	pa, pb uint16
	proto  uint8
}

func canon(k flowKey) flowKey {
	if k.b.Less(k.a) || k.a == k.b && k.pb < k.pa {
		k.a, k.b, k.pa, k.pb = k.b, k.a, k.pb, k.pa
	}
	return k
}

// connMatcher finds the packets of a set of connections.
type connMatcher struct {
	keys map[flowKey][2]float64 // time span, with a second of slack
}

var protoNums = map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1, "sctp": 132}

func newConnMatcher(conns []store.Conn) *connMatcher {
	m := &connMatcher{keys: map[flowKey][2]float64{}}
	for _, c := range conns {
		a, err1 := netip.ParseAddr(c.OrigH)
		b, err2 := netip.ParseAddr(c.RespH)
		p, ok := protoNums[c.Proto]
		if err1 != nil || err2 != nil || !ok {
			continue
		}
		if p == 1 && a.Is6() {
			p = 58
		}
		k := canon(flowKey{a, b, c.OrigP, c.RespP, p})
		if p == 1 || p == 58 {
			k.pa, k.pb = 0, 0
		}
		span := [2]float64{c.TS - 1, c.TS + c.Duration + 1}
		if old, ok := m.keys[k]; ok {
			span = [2]float64{min(old[0], span[0]), max(old[1], span[1])}
		}
		m.keys[k] = span
	}
	return m
}

func (m *connMatcher) match(p *decode.Packet) bool {
	d := &p.IP
	k := flowKey{d.Src, d.Dst, d.SrcPort, d.DstPort, d.Proto}
	if d.Proto == 1 || d.Proto == 58 {
		k.pa, k.pb = 0, 0
	}
	span, ok := m.keys[canon(k)]
	ts := float64(p.TS) / 1e9
	return ok && ts >= span[0] && ts <= span[1]
}

// exportPackets reads files and writes the matching frames as one pcap
// (the link type of the first matching frame; frames of another link
// type are skipped).
func exportPackets(w io.Writer, files []string, m *connMatcher) (int, error) {
	src, err := capture.Open(files)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.DefaultConfig())
	var p decode.Packet
	var f capture.Frame
	var out *capture.Writer
	var link decode.LinkType
	n := 0
	for n < maxExportPackets {
		if err := src.Next(&f); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return n, err
		}
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		if !m.match(&p) {
			continue
		}
		if out == nil {
			if out, err = capture.NewWriter(w, f.LinkType, 262144); err != nil {
				return n, err
			}
			link = f.LinkType
		}
		if f.LinkType != link {
			continue
		}
		if err := out.WritePacket(f.TS, f.Data, f.OrigLen); err != nil {
			return n, err
		}
		n++
	}
	if out == nil {
		_, err = capture.NewWriter(w, decode.LinkEthernet, 262144)
	}
	return n, err
}
