package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
)

// Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1, and the drafts before
// RFC 9000).
var (
	saltV1 = []byte{
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
	}
	saltV2 = []byte{
		0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
	}
	saltDraft29 = []byte{ // drafts 29 to 34
		0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
		0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99,
	}
	saltDraft23 = []byte{ // drafts 23 to 28
		0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
		0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02,
	}
	saltDraft22 = []byte{
		0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
		0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a,
	}
)

// ErrDecrypt reports an Initial packet that could not be unprotected: too
// short for the header-protection sample, or an AEAD tag that does not
// verify (the keys do not fit).
var ErrDecrypt = errors.New("quic: cannot decrypt initial packet")

// Keys are the packet-protection keys of one direction's Initial packets.
type Keys struct {
	Key [16]byte // AEAD_AES_128_GCM key
	IV  [12]byte
	HP  [16]byte // header-protection key (AES-128-ECB)

	aead cipher.AEAD
	hp   cipher.Block
}

// salt returns the Initial salt and whether the version uses the QUIC v2
// labels ("quicv2 key" …).
func salt(version uint32) ([]byte, bool) {
	switch {
	case version == Version2:
		return saltV2, true
	case version >= 0xff00001d && version <= 0xff000022:
		return saltDraft29, false
	case version >= 0xff000017 && version <= 0xff00001c:
		return saltDraft23, false
	case version == 0xff000016:
		return saltDraft22, false
	}
	return saltV1, false // v1 and mvfst's versions, as Zeek
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context
// (RFC 8446 §7.1).
func expandLabel(secret []byte, label string, n int) []byte {
	info := make([]byte, 0, 4+6+len(label))
	info = append(info, byte(n>>8), byte(n), byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0)
	out, err := hkdf.Expand(sha256.New, secret, string(info), n)
	if err != nil { // only for n beyond 255 hash lengths
		return make([]byte, n)
	}
	return out
}

// InitialSecret returns the client's (server false) or the server's
// Initial secret derived from the client's first Destination Connection ID.
func InitialSecret(version uint32, dcid []byte, server bool) []byte {
	s, _ := salt(version)
	prk, err := hkdf.Extract(sha256.New, dcid, s)
	if err != nil {
		return make([]byte, 32)
	}
	label := "client in"
	if server {
		label = "server in"
	}
	return expandLabel(prk, label, 32)
}

// InitialKeys derives the Initial packet-protection keys of one direction
// (server false: the client's) for a version from the client's first
// Destination Connection ID (RFC 9001 §5.2; RFC 9369 §3.3 for v2).
func InitialKeys(version uint32, dcid []byte, server bool) *Keys {
	secret := InitialSecret(version, dcid, server)
	_, v2 := salt(version)
	prefix := "quic "
	if v2 {
		prefix = "quicv2 "
	}
	k := &Keys{}
	copy(k.Key[:], expandLabel(secret, prefix+"key", 16))
	copy(k.IV[:], expandLabel(secret, prefix+"iv", 12))
	copy(k.HP[:], expandLabel(secret, prefix+"hp", 16))
	block, _ := aes.NewCipher(k.Key[:]) // a 16-byte key never fails
	k.aead, _ = cipher.NewGCM(block)
	k.hp, _ = aes.NewCipher(k.HP[:])
	return k
}

// HeaderMask returns the header-protection mask for a 16-byte sample
// (RFC 9001 §5.4.3).
func (k *Keys) HeaderMask(sample []byte) (mask [16]byte) {
	if len(sample) >= 16 {
		k.hp.Encrypt(mask[:], sample[:16])
	}
	return mask
}

// Open removes header protection from one long-header packet and decrypts
// its payload. pkt is the whole packet (first byte to the end of the
// Length field's span); pnOffset is where the packet number starts. The
// header and the plaintext are written into scratch (reused when large
// enough), which must not overlap pkt; pkt is not modified. It returns the
// packet number and the plaintext frames.
func (k *Keys) Open(scratch, pkt []byte, pnOffset int) (pn uint64, plain, buf []byte, err error) {
	if pnOffset < 1 || pnOffset+4+16 > len(pkt) {
		return 0, nil, scratch, ErrDecrypt
	}
	mask := k.HeaderMask(pkt[pnOffset+4 : pnOffset+20])
	first := pkt[0]
	if first&0x80 != 0 {
		first ^= mask[0] & 0x0f
	} else {
		first ^= mask[0] & 0x1f
	}
	pnLen := int(first&3) + 1
	hdrLen := pnOffset + pnLen
	ctLen := len(pkt) - hdrLen
	if ctLen < k.aead.Overhead() {
		return 0, nil, scratch, ErrDecrypt
	}
	need := hdrLen + ctLen
	if cap(scratch) < need {
		scratch = make([]byte, need)
	}
	hdr := scratch[:hdrLen]
	copy(hdr, pkt[:hdrLen])
	hdr[0] = first
	for i := 0; i < pnLen; i++ {
		hdr[pnOffset+i] ^= mask[1+i]
		pn = pn<<8 | uint64(hdr[pnOffset+i])
	}
	var nonce [12]byte
	nonce = k.IV
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(pn >> (8 * i))
	}
	out, oerr := k.aead.Open(scratch[hdrLen:hdrLen], nonce[:], pkt[hdrLen:], hdr)
	if oerr != nil {
		return pn, nil, scratch, ErrDecrypt
	}
	return pn, out, scratch, nil
}
