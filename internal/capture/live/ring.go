package live

import "encoding/binary"

// The TPACKET_V3 ring (linux/if_packet.h): blocks of BlockSize bytes, each
// a block descriptor then packets, each packet a tpacket3_hdr, a
// sockaddr_ll and, at tp_mac from the header, the frame. The kernel writes
// in host byte order. Everything read from a block is bounds-checked
// against the block: a corrupt descriptor or header ends the block, it
// never reads past it.
const (
	blockHdrLen    = 48 // tpacket_block_desc with tpacket_hdr_v1
	offBlockStatus = 8
	offNumPkts     = 12
	offFirstPkt    = 16
	offTSLastSec   = 40
	offTSLastNsec  = 44

	pktHdrLen   = 48 // tpacket3_hdr
	sllLen      = 20 // struct sockaddr_ll after it
	offNext     = 0
	offSec      = 4
	offNsec     = 8
	offSnap     = 12
	offLen      = 16
	offStatus   = 20
	offMac      = 24
	offVlanTCI  = 32
	offVlanTPID = 36
	offPktType  = pktHdrLen + 10 // sll_pkttype

	statusUser       = 0x1  // TP_STATUS_USER: the block is user space's
	statusCsumNotRdy = 0x8  // TP_STATUS_CSUMNOTREADY: checksum left to the NIC
	statusVLAN       = 0x10 // TP_STATUS_VLAN_VALID: tp_vlan_tci holds a stripped tag
	statusVLANTPID   = 0x40 // TP_STATUS_VLAN_TPID_VALID
	statusCsumValid  = 0x80 // TP_STATUS_CSUM_VALID: checksum verified by the NIC

	pktOutgoing = 4 // PACKET_OUTGOING
)

var ne = binary.NativeEndian

// packet is one packet of a block: its frame (a slice of the block),
// timestamp and what the kernel says about it.
type packet struct {
	data    []byte
	ts      int64 // Unix ns
	origLen int
	status  uint32
	pktType uint8
}

// blockIter walks the packets of one block handed to user space.
type blockIter struct {
	b    []byte
	off  int // offset of the next packet header
	left int // packets left
	// vlan: put tags the kernel stripped (hardware VLAN offload) back
	// into Ethernet frames, in place, so the decoder sees them.
	vlan bool
	// bad counts blocks or packets found corrupt (the rest of the block
	// is skipped).
	bad uint64
}

// reset starts walking block b; it reports false when the descriptor is
// corrupt (nothing of b is then read).
func (it *blockIter) reset(b []byte) bool {
	it.b, it.left, it.off = b, 0, 0
	if len(b) < blockHdrLen {
		it.bad++
		return false
	}
	n := uint64(ne.Uint32(b[offNumPkts:]))
	first := uint64(ne.Uint32(b[offFirstPkt:]))
	if n == 0 {
		return true
	}
	if first < blockHdrLen || first+pktHdrLen > uint64(len(b)) || n > uint64(len(b))/pktHdrLen {
		it.bad++
		return false
	}
	it.off, it.left = int(first), int(n)
	return true
}

// next returns the block's next packet; false at the end of the block or
// at a corrupt header (counted in bad; the rest of the block is skipped).
func (it *blockIter) next(p *packet) bool {
	if it.left == 0 {
		return false
	}
	b, off := it.b, it.off
	end := uint64(len(b))
	if uint64(off)+pktHdrLen+sllLen > end {
		return it.corrupt()
	}
	h := b[off:]
	snap := uint64(ne.Uint32(h[offSnap:]))
	mac := uint64(off) + uint64(ne.Uint16(h[offMac:]))
	if mac < uint64(off)+pktHdrLen || mac+snap > end {
		return it.corrupt()
	}
	it.left--
	if it.left > 0 {
		next := uint64(ne.Uint32(h[offNext:]))
		if next < pktHdrLen || uint64(off)+next+pktHdrLen > end {
			it.left = 0 // this packet is sound, the rest is not
			it.bad++
		}
		it.off = off + int(next)
	}
	p.status = ne.Uint32(h[offStatus:])
	p.ts = int64(ne.Uint32(h[offSec:]))*1e9 + int64(ne.Uint32(h[offNsec:]))
	p.origLen = int(ne.Uint32(h[offLen:]))
	p.pktType = h[offPktType]
	start, n := int(mac), int(snap)
	if it.vlan && p.status&statusVLAN != 0 {
		tpid := uint16(0x8100)
		if p.status&statusVLANTPID != 0 {
			tpid = ne.Uint16(h[offVlanTPID:])
		}
		if s, ok := insertVLAN(b, off, start, n, tpid, uint16(ne.Uint32(h[offVlanTCI:]))); ok {
			start, n = s, n+4
			p.origLen += 4
		}
	}
	p.data = b[start : start+n : start+n]
	if p.origLen < n {
		p.origLen = n
	}
	return true
}

func (it *blockIter) corrupt() bool {
	it.left = 0
	it.bad++
	return false
}

// insertVLAN writes the 802.1Q tag the kernel took off an Ethernet frame
// back in front of its EtherType, moving the two MAC addresses four bytes
// down into the padding between the packet's sockaddr_ll and the frame.
// It reports false (and changes nothing) when there is no room there or
// the frame is too short.
func insertVLAN(b []byte, hdr, mac, snap int, tpid, tci uint16) (int, bool) {
	if mac-4 < hdr+pktHdrLen+sllLen || snap < 12 {
		return mac, false
	}
	copy(b[mac-4:mac+8], b[mac:mac+12])
	binary.BigEndian.PutUint16(b[mac+8:], tpid)
	binary.BigEndian.PutUint16(b[mac+10:], tci)
	return mac - 4, true
}

// numPkts is the block's packet count.
func numPkts(b []byte) uint32 {
	if len(b) < blockHdrLen {
		return 0
	}
	return ne.Uint32(b[offNumPkts:])
}

// lastTS is the time of the block's newest packet (ts_last_pkt), 0 when
// the descriptor is too short.
func lastTS(b []byte) int64 {
	if len(b) < blockHdrLen {
		return 0
	}
	return int64(ne.Uint32(b[offTSLastSec:]))*1e9 + int64(ne.Uint32(b[offTSLastNsec:]))
}
