//go:build !purego

#include "textflag.h"

// tailMask: 32 zero bytes then 32 0xff bytes; the 32 bytes from offset t
// keep the last t bytes of a vector.
DATA tailMask<>+0(SB)/8, $0
DATA tailMask<>+8(SB)/8, $0
DATA tailMask<>+16(SB)/8, $0
DATA tailMask<>+24(SB)/8, $0
DATA tailMask<>+32(SB)/8, $-1
DATA tailMask<>+40(SB)/8, $-1
DATA tailMask<>+48(SB)/8, $-1
DATA tailMask<>+56(SB)/8, $-1
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// func sumAVX2(b []byte) uint64
//
// Returns a sum congruent modulo 0xffff to the sum of b's little-endian
// 16-bit words (an odd last byte padded with a zero), zero only if b is all
// zero; 32 <= len(b) < vecChunk+32 (see sumLE for why that is all the
// checksum needs).
//
// The bulk, b[:n] with n = len(b)&^31: each word w is biased to w-32768 by
// flipping its top bit, so VPMADDWD against words of 1 adds each pair of
// them, as signed values, into an exact 32-bit lane (w0+w1-65536, within
// ±2^16): three instructions per 32 bytes (load+XOR, multiply-add, add).
// Four accumulators keep the adds independent, 128 bytes an iteration; the
// four's lanes add up (with the tail's, below) to within
// ±(2^16·(4·2^11+3) + 2^24) < 2^30 for n ≤ 2^18, so they and then pairs of
// lanes add in 32 bits before the lanes are sign-extended and summed in 64. Adding back the
// bias, 32768 a word or 16384·n, gives the bulk's exact sum.
//
// The tail, the last t = len(b)&31 bytes: the last 32 bytes of b are loaded
// with all but those t masked to zero, and summed the same way (bias 2^19
// for the 16 words). The tail starts on a word boundary of b, so for an
// odd t its bytes sit one place off their words in the vector: that swaps
// each word's bytes, which multiplies the sum by 2^8 modulo 0xffff (see
// sumLE), and 2^8·2^8 ≡ 1, so shifting that vector's lanes and its bias
// left by 8 restores the sum modulo 0xffff.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ      b_base+0(FP), SI
	MOVQ      b_len+8(FP), R8
	MOVQ      R8, CX
	ANDQ      $~31, CX            // n: the bulk's length
	MOVQ      CX, R11
	SHLQ      $14, R11            // the bulk's bias: 32768 for each of n/2 words
	VPCMPEQW  Y15, Y15, Y15
	VPSRLW    $15, Y15, Y14       // 0x0001 words
	VPSLLW    $15, Y15, Y15       // 0x8000 words
	VPXOR     Y0, Y0, Y0
	VPXOR     Y1, Y1, Y1
	VPXOR     Y2, Y2, Y2
	VPXOR     Y3, Y3, Y3
	MOVQ      CX, DX
	SHRQ      $7, DX              // 128-byte blocks
	JZ        blocks32

loop128:
	VPXOR     (SI), Y15, Y4
	VPXOR     32(SI), Y15, Y5
	VPXOR     64(SI), Y15, Y6
	VPXOR     96(SI), Y15, Y7
	VPMADDWD  Y14, Y4, Y4
	VPMADDWD  Y14, Y5, Y5
	VPMADDWD  Y14, Y6, Y6
	VPMADDWD  Y14, Y7, Y7
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	VPADDD    Y6, Y2, Y2
	VPADDD    Y7, Y3, Y3
	ADDQ      $128, SI
	DECQ      DX
	JNZ       loop128

blocks32:
	ANDQ      $127, CX
	SHRQ      $5, CX              // 0 to 3 more 32-byte blocks
	JZ        tail

loop32:
	VPXOR     (SI), Y15, Y4
	VPMADDWD  Y14, Y4, Y4
	VPADDD    Y4, Y0, Y0
	ADDQ      $32, SI
	DECQ      CX
	JNZ       loop32

tail:
	MOVQ      R8, DX
	ANDQ      $31, DX             // t
	JZ        reduce
	MOVQ      b_base+0(FP), SI
	LEAQ      tailMask<>(SB), R9
	VMOVDQU   (R9)(DX*1), Y5
	VPAND     -32(SI)(R8*1), Y5, Y4 // the last 32 bytes, all but t zeroed
	VPXOR     Y15, Y4, Y4
	VPMADDWD  Y14, Y4, Y4
	MOVQ      DX, CX
	ANDQ      $1, CX
	SHLQ      $3, CX              // 8 for an odd t, else 0
	VMOVQ     CX, X5
	VPSLLD    X5, Y4, Y4
	VPADDD    Y4, Y0, Y0
	MOVL      $0x80000, AX
	SHLQ      CX, AX
	ADDQ      AX, R11             // the tail's bias

reduce:
	VPADDD       Y1, Y0, Y0
	VPADDD       Y3, Y2, Y2
	VPADDD       Y2, Y0, Y0       // lanes within ±2^30
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0       // within ±2^31
	VPMOVSXDQ    X0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDQ       X1, X0, X0
	VMOVQ        X0, AX
	ADDQ         R11, AX
	VZEROUPPER
	MOVQ         AX, ret+24(FP)
	RET

// func cpuHasAVX2() bool
TEXT ·cpuHasAVX2(SB), NOSPLIT, $0-1
	XORL  AX, AX
	XORL  CX, CX
	CPUID
	CMPL  AX, $7
	JB    no
	MOVL  $1, AX
	XORL  CX, CX
	CPUID
	ANDL  $0x18000000, CX // OSXSAVE (bit 27), AVX (bit 28)
	CMPL  CX, $0x18000000
	JNE   no
	XORL  CX, CX
	XGETBV                // XCR0: the OS saves XMM (bit 1) and YMM (bit 2)
	ANDL  $6, AX
	CMPL  AX, $6
	JNE   no
	MOVL  $7, AX
	XORL  CX, CX
	CPUID
	SHRL  $5, BX          // AVX2: leaf 7, EBX bit 5
	ANDL  $1, BX
	MOVB  BX, ret+0(FP)
	RET

no:
	MOVB $0, ret+0(FP)
	RET
