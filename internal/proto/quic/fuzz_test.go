package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// sealInitial builds a protected v1/v2 Initial packet (1-byte packet
// number pn) carrying frames, protected with the Initial keys derived
// from keyDCID, as a sender would: the inverse of Keys.Open.
func sealInitial(version uint32, server bool, keyDCID, dcid, scid []byte, pn byte, frames []byte) []byte {
	k := InitialKeys(version, keyDCID, server)
	for len(frames) < 20 {
		frames = append(frames, 0) // PADDING: room for the sample
	}
	typ := byte(0)
	if version == Version2 {
		typ = 1
	}
	hdr := []byte{0xc0 | typ<<4}
	hdr = binary.BigEndian.AppendUint32(hdr, version)
	hdr = append(hdr, byte(len(dcid)))
	hdr = append(hdr, dcid...)
	hdr = append(hdr, byte(len(scid)))
	hdr = append(hdr, scid...)
	hdr = append(hdr, 0) // no token
	l := 1 + len(frames) + 16
	hdr = append(hdr, 0x40|byte(l>>8), byte(l))
	pnOff := len(hdr)
	hdr = append(hdr, pn)
	block, _ := aes.NewCipher(k.Key[:])
	aead, _ := cipher.NewGCM(block)
	nonce := k.IV
	nonce[11] ^= pn
	pkt := aead.Seal(append([]byte(nil), hdr...), nonce[:], frames, hdr)
	mask := k.HeaderMask(pkt[pnOff+4 : pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	pkt[pnOff] ^= mask[1]
	return pkt
}

func TestSealRoundTrip(t *testing.T) {
	dcid := unhex(t, rfcDCID)
	// Sealing the RFC's plaintext reproduces the RFC's protected packet.
	plain := append(unhex(t, rfcClientCrypto), make([]byte, 917)...)
	for _, tc := range []struct {
		v    uint32
		file string
	}{{Version1, "rfc9001-a2-client.hex"}, {Version2, "rfc9369-a2-client.hex"}} {
		want := readHex(t, tc.file)
		// The RFC packets use a 4-byte packet number; check the opened
		// frames of our 1-byte one instead, and the RFC packet separately.
		got := sealInitial(tc.v, false, dcid, dcid, nil, 2, plain)
		h, err := ParseLongHeader(got)
		if err != nil {
			t.Fatal(err)
		}
		_, p, _, err := InitialKeys(tc.v, dcid, false).Open(nil, got, h.PNOffset)
		if err != nil || string(p) != string(plain) {
			t.Fatalf("%s: round trip failed: %v", tc.file, err)
		}
		if len(want) != 1200 {
			t.Fatalf("%s: %d bytes", tc.file, len(want))
		}
	}
}

// fuzzDatagrams turns fuzz input into datagrams: each piece is a flags
// byte (bit 0: from the responder; bit 1: seal the piece as an Initial
// packet's frames; bit 2: QUIC v2; the rest: the packet number), a 2-byte
// length and that many bytes.
func fuzzDatagrams(data []byte, each func(dir proto.Direction, d []byte)) {
	dcid := []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}
	for len(data) >= 3 {
		flags, n := data[0], int(binary.BigEndian.Uint16(data[1:]))
		data = data[3:]
		if n > len(data) {
			n = len(data)
		}
		piece := data[:n]
		data = data[n:]
		dir := proto.Direction(flags & 1)
		if flags&2 != 0 {
			v := Version1
			if flags&4 != 0 {
				v = Version2
			}
			hdrDCID, scid := dcid, []byte{1, 2, 3, 4}
			if dir == proto.FromResp {
				hdrDCID, scid = scid, []byte{5, 6}
			}
			piece = sealInitial(v, dir == proto.FromResp, dcid, hdrDCID, scid, flags>>3, piece)
		}
		each(dir, piece)
	}
}

func FuzzAnalyzer(f *testing.F) {
	piece := func(flags byte, b []byte) []byte {
		return append([]byte{flags, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	ch, sh := unhex(f, rfcClientCrypto), unhex(f, rfcServerFrames)
	f.Add(piece(2, ch))
	f.Add(append(piece(2, ch), piece(3, sh)...))
	f.Add(append(append(piece(6, ch), piece(7, sh)...), piece(1, []byte{0x40, 1, 2, 3, 4, 5})...))
	f.Add(append(piece(2, ch[:100]), piece(2|8, append([]byte{0x06, 0x40, 0x64, 0x40, 0x91}, ch[104:]...))...))
	f.Add(piece(1, append([]byte{0xf0, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4}, make([]byte, 20)...)))
	f.Add(piece(2, []byte{0x06, 0x00, 0x04, 0x01, 0x00, 0x00, 0x10, 0x1c, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x00}))
	f.Add(piece(0, readHex(f, "rfc9001-a2-client.hex")))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, s := newTest()
		fuzzDatagrams(data, func(dir proto.Direction, d []byte) {
			a.Data(dir, 1e9, d)
		})
		_ = a.Service()
		a.End(2e9)
		for _, r := range a.client.spans {
			if r[1] > maxCrypto {
				t.Fatal("crypto bound exceeded")
			}
		}
		if len(a.client.buf) > maxCrypto || len(a.server.buf) > maxCrypto {
			t.Fatal("crypto buffer over bound")
		}
		for _, l := range s.lines {
			decodeRecord(t, l)
		}
	})
}

// FuzzLongHeader checks the header parser alone on raw bytes.
func FuzzLongHeader(f *testing.F) {
	f.Add(readHex(f, "rfc9001-a2-client.hex")[:64])
	f.Add(readHex(f, "rfc9369-a3-server.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseLongHeader(b)
		if err == nil && (h.Size > len(b) || h.Size < 7) {
			t.Fatalf("size %d of %d", h.Size, len(b))
		}
		a, _ := newTest()
		a.Data(proto.FromOrig, 1, b)
		a.Data(proto.FromResp, 2, b)
		a.End(3)
	})
}
