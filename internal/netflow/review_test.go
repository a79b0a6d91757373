package netflow

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/utils"

	"github.com/vigil-nsm/vigil/internal/store"
)

// reviewIPFIX makes an IPFIX message (domain 1) of one set.
func reviewIPFIX(setID uint16, body []byte) []byte {
	b := make([]byte, 16, 16+4+len(body))
	be := binary.BigEndian
	be.PutUint16(b[0:], 10)
	be.PutUint16(b[2:], uint16(16+4+len(body)))
	be.PutUint32(b[4:], 1767225600)
	be.PutUint32(b[12:], 1)
	b = be.AppendUint16(b, setID)
	b = be.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

// TestReviewWideTemplateAllocationBomb: an exporter sends one IPFIX
// template of 16000 fields, 15999 of them zero-length and one of 1 byte
// (16001 template fields: within maxTemplateFields, not "empty", so
// accepted), then a data set of 400 one-byte records. goflow2's
// DecodeDataSet makes a []DataField of 16000 entries (plus a boxed
// []byte Value per field) for every record: ~300 MB allocated, and held
// at once, for one 420-byte datagram; a full 64 KB data set (65k
// records) is ~50 GB, a remote out-of-memory kill of `vigil serve`.
// Decoding one datagram must allocate a bounded amount (here < 64 MiB).
func TestReviewWideTemplateAllocationBomb(t *testing.T) {
	const nFields, nRecords = 16000, 400
	be := binary.BigEndian
	tmpl := be.AppendUint16(nil, 256) // template ID
	tmpl = be.AppendUint16(tmpl, nFields)
	for i := 0; i < nFields; i++ {
		length := uint16(0)
		if i == 0 {
			length = 1
		}
		tmpl = be.AppendUint16(tmpl, uint16(1+i%400)) // information element
		tmpl = be.AppendUint16(tmpl, length)
	}
	flows := 0
	l, err := newListener(Config{}, func(string, store.Conn) { flows++ }, defaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddrPort("127.0.0.1:4739")
	now := time.Unix(1767225600, 0)
	l.decode(&utils.Message{Src: src, Payload: reviewIPFIX(2, tmpl), Received: now})
	data := reviewIPFIX(256, make([]byte, nRecords))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	l.decode(&utils.Message{Src: src, Payload: data, Received: now})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("template %d bytes, data datagram %d bytes: %d MiB allocated, %d flows, %d errors", len(tmpl), len(data), alloc>>20, flows, l.errs.Load())
	if alloc > 64<<20 {
		t.Fatalf("one %d-byte IPFIX datagram allocated %d MiB (a template of %d fields, most of zero length, makes a %d-entry slice per 1-byte record)",
			len(data), alloc>>20, nFields, nFields)
	}
}
