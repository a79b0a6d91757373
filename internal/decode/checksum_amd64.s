//go:build !purego

#include "textflag.h"

// func sumAVX2(b []byte) uint64
//
// Returns the exact sum of the little-endian 32-bit words of b[:len(b)&^31]
// (see sumVec for why that is all the checksum needs). Each 32-byte load is
// four 64-bit lanes x = lo + hi<<32 holding two of the words. The high
// words are widened by VPSRLQ $32 and added into Y1/Y3; the whole lanes are
// added into Y0/Y2, modulo 2^64. At the end the low words' sum is
// Y0 - Y1<<32 (modulo 2^64, but exact since it is below 2^64: a lane gets
// at most len/32 words < 2^32 and len < 2^32). So no carry is ever lost or
// propagated, and the four accumulators keep the adds independent.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ  b_base+0(FP), SI
	MOVQ  b_len+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	MOVQ  CX, DX
	SHRQ  $6, DX // 64-byte blocks
	JZ    tail
	PCALIGN $32

loop64:
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VPADDQ  Y4, Y0, Y0
	VPSRLQ  $32, Y4, Y4
	VPADDQ  Y5, Y2, Y2
	VPSRLQ  $32, Y5, Y5
	VPADDQ  Y4, Y1, Y1
	VPADDQ  Y5, Y3, Y3
	ADDQ    $64, SI
	DECQ    DX
	JNZ     loop64

tail:
	TESTQ   $32, CX
	JZ      reduce
	VMOVDQU (SI), Y4
	VPADDQ  Y4, Y0, Y0
	VPSRLQ  $32, Y4, Y4
	VPADDQ  Y4, Y1, Y1

reduce:
	VPADDQ       Y2, Y0, Y0 // lanes modulo 2^64
	VPADDQ       Y3, Y1, Y1 // high words
	VPSLLQ       $32, Y1, Y2
	VPSUBQ       Y2, Y0, Y0 // low words
	VPADDQ       Y1, Y0, Y0 // all words
	VEXTRACTI128 $1, Y0, X1
	VPADDQ       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDQ       X1, X0, X0
	VMOVQ        X0, AX
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
