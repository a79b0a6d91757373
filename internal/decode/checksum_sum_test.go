package decode

import (
	"math/rand"
	"testing"
)

// naiveSum is RFC 1071 written out: big-endian 16-bit words, odd byte padded.
func naiveSum(b []byte, acc uint64) uint64 {
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint64(b[i])<<8 | uint64(b[i+1])
	}
	if len(b)%2 == 1 {
		acc += uint64(b[len(b)-1]) << 8
	}
	return acc
}

func TestSumMatchesRFC1071(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 300; n++ {
		for trial := 0; trial < 20; trial++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Intn(256))
				if trial%3 == 0 {
					b[i] = 0xff // carries everywhere
				}
			}
			acc := uint64(rng.Intn(1 << 20))
			if got, want := fold(sum(b, acc)), fold(naiveSum(b, acc)); got != want {
				t.Fatalf("len %d: sum %#04x, RFC 1071 %#04x", n, got, want)
			}
		}
	}
}

func BenchmarkSum1500(b *testing.B) {
	buf := make([]byte, 1500)
	for i := range buf {
		buf[i] = byte(i)
	}
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		_ = fold(sum(buf, 0))
	}
}
