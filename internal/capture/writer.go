package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// Writer writes a nanosecond-resolution, little-endian pcap file. It does
// not buffer: wrap a file in a bufio.Writer (and flush it) when writing many
// packets. WritePacket does not allocate.
type Writer struct {
	w       io.Writer
	snaplen int
	hdr     [pcapRecordLen]byte
}

// NewWriter writes the pcap global header for link type link and snap
// length snaplen (<= 0 means MaxFrameLen) to w.
func NewWriter(w io.Writer, link decode.LinkType, snaplen int) (*Writer, error) {
	if snaplen <= 0 {
		snaplen = MaxFrameLen
	}
	if int64(snaplen) > math.MaxUint32 {
		return nil, fmt.Errorf("capture: snap length %d too large", snaplen)
	}
	var h [pcapHeaderLen]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], magicPcapNano)
	le.PutUint16(h[4:], 2) // version 2.4
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], uint32(snaplen))
	le.PutUint32(h[20:], uint32(link))
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &Writer{w: w, snaplen: snaplen}, nil
}

var errTooLong = errors.New("capture: packet longer than MaxFrameLen")

// WritePacket writes one record: ts is in Unix nanoseconds, data is cut to
// the snap length, and origLen (the length on the wire) is raised to
// len(data) when smaller. ts must lie between 1970 and 2106 (pcap's
// unsigned 32-bit seconds), and data after the cut at most MaxFrameLen bytes.
func (w *Writer) WritePacket(ts int64, data []byte, origLen int) error {
	origLen = max(origLen, len(data))
	if len(data) > w.snaplen {
		data = data[:w.snaplen]
	}
	if len(data) > MaxFrameLen {
		return errTooLong
	}
	if int64(origLen) > math.MaxUint32 {
		origLen = math.MaxUint32
	}
	sec, ns := ts/1e9, ts%1e9
	if ns < 0 {
		sec, ns = sec-1, ns+1e9
	}
	if sec < 0 || sec > math.MaxUint32 {
		return fmt.Errorf("capture: timestamp %d outside the pcap range", ts)
	}
	le := binary.LittleEndian
	le.PutUint32(w.hdr[0:], uint32(sec))
	le.PutUint32(w.hdr[4:], uint32(ns))
	le.PutUint32(w.hdr[8:], uint32(len(data)))
	le.PutUint32(w.hdr[12:], uint32(origLen))
	if _, err := w.w.Write(w.hdr[:]); err != nil {
		return err
	}
	_, err := w.w.Write(data)
	return err
}
