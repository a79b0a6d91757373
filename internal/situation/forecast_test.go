package situation

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHoltBeatsNaive forecasts a noisy series with a trend from many
// origins and compares the mean absolute error with the last-value
// forecast.
func TestHoltBeatsNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	y := make([]float64, 400)
	for i := range y {
		y[i] = 20 + 0.5*float64(i) + 1.5*math.Sin(float64(i)/9) + r.NormFloat64()*2
	}
	const h = 15
	var holtErr, naiveErr float64
	var n int
	covered, total := 0, 0
	for origin := 60; origin+h < len(y); origin += 5 {
		m := FitHolt(y[:origin])
		fc := m.Forecast(h, int64(origin-1), 1, math.Inf(-1), math.Inf(1))
		for k, b := range fc {
			actual := y[origin+k]
			holtErr += math.Abs(actual - b.Mean)
			naiveErr += math.Abs(actual - y[origin-1])
			n++
			if actual >= b.Lo && actual <= b.Hi {
				covered++
			}
			total++
		}
	}
	holtErr /= float64(n)
	naiveErr /= float64(n)
	t.Logf("MAE over %d forecasts of %d steps: Holt %.2f, naive last value %.2f (%.0f%% lower); 95%% band covers %.0f%%",
		n/h, h, holtErr, naiveErr, 100*(1-holtErr/naiveErr), 100*float64(covered)/float64(total))
	if holtErr >= naiveErr*0.9 {
		t.Errorf("Holt MAE %.2f not clearly below naive %.2f", holtErr, naiveErr)
	}
	if cov := float64(covered) / float64(total); cov < 0.7 {
		t.Errorf("band covers %.0f%% of outcomes", 100*cov)
	}
}

// Three minutes of a rising index used to forecast 100 within half an
// hour with a zero-width band: too little data must give no forecast.
func TestHoltShortSeries(t *testing.T) {
	for _, y := range [][]float64{nil, {5}, {0, 10, 20}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}} {
		if fc := FitHolt(y).Forecast(30, 0, 60, 0, 100); len(fc) != 0 {
			t.Errorf("%d points: forecast %+v", len(y), fc[len(fc)-1])
		}
	}
	y := make([]float64, MinPoints)
	for i := range y {
		y[i] = float64(i % 3)
	}
	fc := FitHolt(y).Forecast(3, 0, 60, 0, 100)
	if len(fc) != 3 || fc[0].TS != 60 || fc[0].Hi <= fc[0].Lo {
		t.Fatalf("%d points: %+v", MinPoints, fc)
	}
}

// A damped trend's band widens as the damped trend does (Hyndman et al.,
// ETS(A,Ad,N): c_j = α(1 + β·(φ + … + φ^j))): with the undamped j in
// place of the sum, the "95%" band covered 99% of outcomes.
func TestHoltBandDamped(t *testing.T) {
	m := Holt{Alpha: 0.5, Beta: 0.5, Phi: 0.8, Sigma: 1, N: MinPoints}
	fc := m.Forecast(30, 0, 1, math.Inf(-1), math.Inf(1))
	v, pj := 1.0, 0.0
	for j := 1; j < 30; j++ {
		pj += math.Pow(0.8, float64(j))
		v += 0.25 * (1 + 0.5*pj) * (1 + 0.5*pj)
	}
	if got, want := fc[29].Hi-fc[29].Mean, 1.96*math.Sqrt(v); math.Abs(got-want) > 1e-9 {
		t.Errorf("half-width at 30 steps %.3f, want %.3f", got, want)
	}
}
