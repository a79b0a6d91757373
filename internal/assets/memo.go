package assets

import (
	"encoding/binary"
	"math/bits"
)

// memo remembers what raw field values were decoded to (an address, an
// interned string) in a small direct-mapped table: each text has one
// slot, picked by a hash of its bytes, that holds the last text to land
// there. A hit costs a hash and a comparison, far less than a map lookup
// or a parse; a miss decodes as before and takes the slot over. The few
// addresses and values that recur in every record stay in it.
type memo[V any] struct {
	slots *[memoSlots]memoSlot[V]
}

// memoSlot is one text (as written in the line) and its decoded value.
// The text's first bytes are kept in the slot itself, so that checking a
// short text (a uid, most addresses) reads no memory but the slot's.
type memoSlot[V any] struct {
	n    int               // the text's length
	head [memoHeadLen]byte // its first bytes
	raw  string            // the whole text, when longer than head
	val  V
}

const memoHeadLen = 16

// holds reports whether the slot holds raw's value.
func (s *memoSlot[V]) holds(raw []byte) bool {
	if len(raw) != s.n {
		return false
	}
	if len(raw) <= memoHeadLen {
		return headEqual(&s.head, raw)
	}
	return headEqual(&s.head, raw[:memoHeadLen]) && s.raw == string(raw)
}

// headEqual reports whether b (at most memoHeadLen bytes) is the start of
// head. It compares words, two that may overlap, without a call: a
// string comparison would call the runtime for every uid or address.
func headEqual(head *[memoHeadLen]byte, b []byte) bool {
	le := binary.LittleEndian
	switch n := len(b); {
	case n >= 8:
		return le.Uint64(head[:8]) == le.Uint64(b) && le.Uint64(head[n-8:n]) == le.Uint64(b[n-8:])
	case n >= 4:
		return le.Uint32(head[:4]) == le.Uint32(b) && le.Uint32(head[n-4:n]) == le.Uint32(b[n-4:])
	default:
		for i, c := range b {
			if head[i] != c {
				return false
			}
		}
		return true
	}
}

// take makes the slot hold text raw with value val. text is a string
// that may spell raw (an unescaped text's value): the slot then shares
// its bytes rather than copying raw's.
func (s *memoSlot[V]) take(raw []byte, val V, text string) {
	s.n, s.val, s.raw = len(raw), val, ""
	copy(s.head[:], raw)
	if len(raw) > memoHeadLen {
		if text != string(raw) {
			text = string(raw)
		}
		s.raw = text
	}
}

const memoBits = 11
const memoSlots = 1 << memoBits

func newMemo[V any]() memo[V] { return memo[V]{slots: new([memoSlots]memoSlot[V])} }

// slot returns the slot of raw: it holds raw's value when its raw is raw.
func (m memo[V]) slot(raw []byte) *memoSlot[V] { return &m.slots[memoHash(raw)] }

// memoHash hashes raw's length and its first and last eight bytes (all of
// them when it is shorter): the values memoized differ there.
func memoHash(raw []byte) uint {
	var x uint64
	if len(raw) >= 8 {
		x = binary.LittleEndian.Uint64(raw) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(raw[len(raw)-8:]), 29)
	} else {
		for _, c := range raw {
			x = x<<8 | uint64(c)
		}
	}
	x = (x ^ uint64(len(raw))) * 0x9e3779b97f4a7c15
	return uint(x >> (64 - memoBits))
}
