package decode

// A minimal, test-only capture reader (pcap and pcapng, optionally gzip
// compressed) so that the corpus test does not depend on internal/capture.
// It stops at the first inconsistency and reports how far it got.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

type testFrame struct {
	link LinkType
	ts   int64
	wire int
	data []byte
}

const testMaxFrame = 256 * 1024

// readCapture reads every frame of a pcap or pcapng file. On an
// inconsistency it returns the frames read so far and an error.
func readCapture(path string) ([]testFrame, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		raw, err = io.ReadAll(io.LimitReader(zr, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
	}
	if len(raw) < 4 {
		return nil, errors.New("too short for a capture header")
	}
	if binary.LittleEndian.Uint32(raw) == 0x0A0D0D0A {
		return readPcapng(raw)
	}
	return readPcap(raw)
}

func readPcap(b []byte) ([]testFrame, error) {
	if len(b) < 24 {
		return nil, errors.New("short pcap header")
	}
	var bo binary.ByteOrder
	nano := false
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	case 0x4d3cb2a1:
		bo, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("bad pcap magic %#x", binary.LittleEndian.Uint32(b))
	}
	link := LinkType(bo.Uint32(b[20:]) & 0xffff)
	var out []testFrame
	off := 24
	for off < len(b) {
		if off+16 > len(b) {
			return out, fmt.Errorf("record header cut at %d", off)
		}
		sec, frac := int64(bo.Uint32(b[off:])), int64(bo.Uint32(b[off+4:]))
		incl, orig := int(bo.Uint32(b[off+8:])), int(bo.Uint32(b[off+12:]))
		off += 16
		if incl > testMaxFrame || incl > len(b)-off {
			return out, fmt.Errorf("record length %d at %d", incl, off-16)
		}
		if !nano {
			frac *= 1000
		}
		out = append(out, testFrame{link: link, ts: sec*1e9 + frac, wire: orig, data: b[off : off+incl]})
		off += incl
	}
	return out, nil
}

func readPcapng(b []byte) ([]testFrame, error) {
	var bo binary.ByteOrder = binary.LittleEndian
	var links []LinkType
	var snaps []int
	var out []testFrame
	off := 0
	for off < len(b) {
		if off+12 > len(b) {
			return out, fmt.Errorf("block header cut at %d", off)
		}
		typ := binary.LittleEndian.Uint32(b[off:])
		if typ == 0x0A0D0D0A {
			switch binary.LittleEndian.Uint32(b[off+8:]) {
			case 0x1A2B3C4D:
				bo = binary.LittleEndian
			case 0x4D3C2B1A:
				bo = binary.BigEndian
			default:
				return out, fmt.Errorf("bad byte-order magic at %d", off)
			}
			links, snaps = links[:0], snaps[:0]
		} else {
			typ = bo.Uint32(b[off:])
		}
		blen := int(bo.Uint32(b[off+4:]))
		if blen < 12 || blen%4 != 0 || blen > len(b)-off {
			return out, fmt.Errorf("block length %d at %d", blen, off)
		}
		if int(bo.Uint32(b[off+blen-4:])) != blen {
			return out, fmt.Errorf("trailing block length mismatch at %d", off)
		}
		body := b[off+8 : off+blen-4]
		switch typ {
		case 1: // interface description
			if len(body) < 8 {
				return out, fmt.Errorf("short IDB at %d", off)
			}
			links = append(links, LinkType(bo.Uint16(body)))
			snaps = append(snaps, int(bo.Uint32(body[4:])))
		case 6: // enhanced packet
			if len(body) < 20 {
				return out, fmt.Errorf("short EPB at %d", off)
			}
			ifc := int(bo.Uint32(body))
			ts := int64(bo.Uint32(body[4:]))<<32 | int64(bo.Uint32(body[8:]))
			capl, orig := int(bo.Uint32(body[12:])), int(bo.Uint32(body[16:]))
			if ifc >= len(links) || capl > len(body)-20 || capl > testMaxFrame {
				return out, fmt.Errorf("bad EPB at %d", off)
			}
			out = append(out, testFrame{link: links[ifc], ts: ts * 1000, wire: orig, data: body[20 : 20+capl]})
		case 3: // simple packet
			if len(body) < 4 || len(links) == 0 {
				return out, fmt.Errorf("bad SPB at %d", off)
			}
			orig := int(bo.Uint32(body))
			capl := min(orig, len(body)-4)
			if snaps[0] > 0 {
				capl = min(capl, snaps[0])
			}
			out = append(out, testFrame{link: links[0], wire: orig, data: body[4 : 4+capl]})
		case 2: // obsolete packet block
			if len(body) < 20 {
				return out, fmt.Errorf("short PB at %d", off)
			}
			ifc := int(bo.Uint16(body))
			capl, orig := int(bo.Uint32(body[12:])), int(bo.Uint32(body[16:]))
			if ifc >= len(links) || capl > len(body)-20 {
				return out, fmt.Errorf("bad PB at %d", off)
			}
			out = append(out, testFrame{link: links[ifc], wire: orig, data: body[20 : 20+capl]})
		}
		off += blen
	}
	return out, nil
}
