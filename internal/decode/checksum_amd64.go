//go:build !purego

package decode

// avx2Min is the shortest input sumLE hands to sumAVX2, or noVec without
// AVX2. With the tail summed in the kernel, sumAVX2 is as fast as sumWords
// from about 32 bytes (BenchmarkChecksumCrossover), but below 64 it runs
// more instructions; 64 lowers both.
var avx2Min = func() int {
	if cpuHasAVX2() {
		return 64
	}
	return noVec
}()

// sumAVX2 returns a sum congruent modulo 0xffff to the sum of b's
// little-endian 16-bit words (an odd last byte padded with a zero), zero
// only if b is all zero, and under 2^48. b must be at least 32 and under
// vecChunk+32 bytes long. The arithmetic is in checksum.go and
// checksum_amd64.s.
//
//go:noescape
func sumAVX2(b []byte) uint64

// cpuHasAVX2 reports whether the CPU has AVX2 and the OS saves YMM state.
func cpuHasAVX2() bool
