package assets

import (
	"math"
	"strconv"
	"testing"
)

// FuzzMicroDecimal holds appendMicroDecimal to strconv's shortest 'f'
// form for every float it takes.
func FuzzMicroDecimal(f *testing.F) {
	for _, x := range []float64{1e-6, 0.5, 1700000000.123456, 0.1, 0.99, 8589934591.999999, 5e-7, 1.000001, 123456.000010} {
		f.Add(x, int64(0))
	}
	f.Fuzz(func(t *testing.T, x float64, micros int64) {
		for _, v := range []float64{x, float64(micros) / 1e6, float64(micros%(1<<33*1e6)) / 1e6, math.Nextafter(float64(micros)/1e6, 0)} {
			got, ok := appendMicroDecimal(nil, v)
			if !ok {
				continue
			}
			if want := strconv.FormatFloat(v, 'f', -1, 64); string(got) != want {
				t.Fatalf("%v (%b): %q, want %q", v, math.Float64bits(v), got, want)
			}
		}
	})
}
