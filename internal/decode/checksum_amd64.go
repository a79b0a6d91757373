//go:build !purego

package decode

// avx2Min is the shortest input sum hands to sumVec, or noVec without
// AVX2. Below about 128 bytes the kernel's fixed cost (call, horizontal
// add) outweighs its speed (BenchmarkChecksumCrossover).
var avx2Min = func() int {
	if cpuHasAVX2() {
		return 128
	}
	return noVec
}()

// sumAVX2 returns the exact sum of the little-endian 32-bit words of
// b[:len(b)&^31], which is congruent modulo 0xffff to the sum of its
// little-endian 16-bit words. b must be shorter than 2^32 bytes.
// The arithmetic is in checksum.go and checksum_amd64.s.
//
//go:noescape
func sumAVX2(b []byte) uint64

// cpuHasAVX2 reports whether the CPU has AVX2 and the OS saves YMM state.
func cpuHasAVX2() bool
