package defrag

import (
	"math/rand/v2"
	"testing"
)

func TestHangTmp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 300000; iter++ {
		in := make([]byte, 5*(1+rng.IntN(64)))
		for i := range in {
			in[i] = byte(rng.Uint32())
		}
		fuzzRun(t, in)
		if t.Failed() {
			t.Fatalf("input %x", in)
		}
	}
}
