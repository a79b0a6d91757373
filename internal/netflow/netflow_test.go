package netflow

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
)

// v5 builds a NetFlow v5 datagram with the given flows
// (src, dst, sport, dport, proto, packets, bytes).
func v5(flows [][7]uint32) []byte {
	b := make([]byte, 24+48*len(flows))
	be := binary.BigEndian
	be.PutUint16(b[0:], 5)
	be.PutUint16(b[2:], uint16(len(flows)))
	be.PutUint32(b[4:], 100000)     // uptime ms
	be.PutUint32(b[8:], 1767225600) // unix secs
	for i, f := range flows {
		r := b[24+48*i:]
		be.PutUint32(r[0:], f[0])
		be.PutUint32(r[4:], f[1])
		be.PutUint32(r[16:], f[5])
		be.PutUint32(r[20:], f[6])
		be.PutUint32(r[24:], 90000) // first
		be.PutUint32(r[28:], 95000) // last
		be.PutUint16(r[32:], uint16(f[2]))
		be.PutUint16(r[34:], uint16(f[3]))
		r[38] = byte(f[4])
	}
	return b
}

// ipfix builds an IPFIX message with a template and one data record.
func ipfix() []byte {
	be := binary.BigEndian
	fields := [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 8}, {152, 8}, {153, 8}}
	tmpl := []byte{0, 2, 0, 0, 1, 0, 0, byte(len(fields))}
	for _, f := range fields {
		tmpl = be.AppendUint16(be.AppendUint16(tmpl, f[0]), f[1])
	}
	be.PutUint16(tmpl[2:], uint16(len(tmpl)))
	data := []byte{1, 0, 0, 0}
	data = append(data, 192, 0, 2, 1, 198, 51, 100, 7)
	data = be.AppendUint16(be.AppendUint16(data, 51000), 443)
	data = append(data, 6)
	data = be.AppendUint64(be.AppendUint64(data, 120000), 90)
	data = be.AppendUint64(be.AppendUint64(data, 1767225600000), 1767225612000)
	be.PutUint16(data[2:], uint16(len(data)))
	msg := make([]byte, 16)
	be.PutUint16(msg[0:], 10)
	be.PutUint32(msg[4:], 1767225620)
	msg = append(append(msg, tmpl...), data...)
	be.PutUint16(msg[2:], uint16(len(msg)))
	return msg
}

func ip4(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

func TestV5AndIPFIX(t *testing.T) {
	var mu sync.Mutex
	var got []store.Conn
	l, err := Listen(Config{Addr: "127.0.0.1:0"}, func(exp string, c store.Conn) {
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Run(ctx) }()
	c, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write(v5([][7]uint32{
		{ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 40000, 22, 6, 10, 1500},
		{ip4(10, 0, 0, 3), ip4(8, 8, 8, 8), 53000, 53, 17, 1, 70},
	}))
	c.Write(ipfix())
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d flows: %+v (stats %+v)", len(got), got, l.Stats())
	}
	var bytes, pkts int64
	for _, f := range got {
		bytes += f.OrigBytes
		pkts += f.OrigPkts
	}
	if bytes != 1500+70+120000 || pkts != 10+1+90 {
		t.Errorf("totals %d bytes %d packets", bytes, pkts)
	}
	f := got[2]
	if f.OrigH != "192.0.2.1" || f.RespP != 443 || f.Proto != "tcp" || f.TS != 1767225600 || f.Duration != 12 || f.UID == "" {
		t.Errorf("ipfix flow: %+v", f)
	}
	if got[0].Proto != "tcp" || got[1].Proto != "udp" || got[0].RespP != 22 {
		t.Errorf("v5 flows: %+v", got[:2])
	}
	if st := l.Stats(); st.ReadBuffer < 1<<20 {
		t.Logf("receive buffer only %d bytes (net.core.rmem_max caps it)", st.ReadBuffer)
	}
}
