package netflow

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxSFlowRecords is goflow2's bound on the records of an sFlow sample,
// which it forgets for expanded flow samples.
const maxSFlowRecords = 1000

// screen refuses the datagrams goflow2 mishandles, before it decodes
// them:
//
//   - a NetFlow v5 datagram shorter than its header's record count makes
//     it: goflow2 makes the missing records flows of zeros (0.0.0.0 to
//     0.0.0.0), up to 65535 of them from a 24-byte datagram;
//   - an sFlow v5 expanded flow sample with more than 1000 records:
//     goflow2 allocates them all first (24 bytes each, up to 4 billion:
//     a fatal out-of-memory error from a 100-byte datagram).
func screen(b []byte) error {
	be := binary.BigEndian
	switch {
	case len(b) >= 4 && be.Uint16(b) == 5:
		if n := int(be.Uint16(b[2:])); len(b) < 24+48*n {
			return fmt.Errorf("netflow: v5 datagram of %d bytes for %d records", len(b), n)
		}
	case len(b) >= 8 && be.Uint32(b) == 5:
		return screenSFlow(b)
	}
	return nil
}

// screenSFlow walks an sFlow v5 datagram's samples as goflow2 does and
// checks the record count of each expanded flow sample.
func screenSFlow(b []byte) error {
	be := binary.BigEndian
	// version, agent address (type, IPv4 or IPv6), sub-agent, sequence,
	// uptime
	off := map[uint32]int{1: 8 + 4 + 12, 2: 8 + 16 + 12}[be.Uint32(b[4:])]
	if off == 0 || len(b) < off+4 {
		return nil // goflow2 refuses it
	}
	count := be.Uint32(b[off:])
	b = b[off+4:]
	for i := uint32(0); i < count && len(b) >= 8; i++ {
		format, n := be.Uint32(b), be.Uint32(b[4:])
		if uint64(n) > uint64(len(b)-8) {
			break
		}
		sample := b[8 : 8+n]
		b = b[8+n:]
		// seq, source type and index, rate, pool, drops, input and
		// output (format and value), then the record count
		if format == 3 && len(sample) >= 44 && be.Uint32(sample[40:]) > maxSFlowRecords {
			return errors.New("netflow: sFlow expanded flow sample of too many records")
		}
	}
	return nil
}
