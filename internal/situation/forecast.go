package situation

import "math"

// Band is one forecast step: the expected value and its 95% interval.
type Band struct {
	TS   int64   `json:"ts"`
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// Holt is Holt's linear exponential smoothing (level and trend) with a
// damped trend (Gardner–McKenzie; Phi 1 is the plain linear method),
// fitted by a grid search of alpha, beta and phi on one-step-ahead
// squared error.
type Holt struct {
	Alpha, Beta  float64
	Phi          float64
	Level, Trend float64
	Sigma        float64 // standard deviation of one-step errors
	N            int
}

// MinPoints is the fewest points a model is fitted to (a quarter of an
// hour of minutes): from fewer, three parameters and a band cannot be
// told apart from noise, and there is no forecast.
const MinPoints = 15

// FitHolt fits the model to y; with fewer than MinPoints points it is
// left unfitted and forecasts nothing.
func FitHolt(y []float64) Holt {
	if len(y) < MinPoints {
		return Holt{N: len(y)}
	}
	best := Holt{Sigma: math.Inf(1)}
	for _, phi := range []float64{0.8, 0.9, 0.95, 0.98, 1} {
		for a := 0.05; a <= 1.0001; a += 0.05 {
			for b := 0.0; b <= 0.5001; b += 0.05 {
				h := runHolt(y, a, b, phi)
				if h.Sigma < best.Sigma {
					best = h
				}
			}
		}
	}
	return best
}

// runHolt smooths y and measures the one-step errors (from the third
// point: the second is where the trend starts, its error is no forecast).
func runHolt(y []float64, alpha, beta, phi float64) Holt {
	level, trend := y[0], y[1]-y[0]
	var sse float64
	for i, v := range y[1:] {
		pred := level + phi*trend
		if e := v - pred; i > 0 {
			sse += e * e
		}
		nl := alpha*v + (1-alpha)*pred
		trend = beta*(nl-level) + (1-beta)*phi*trend
		level = nl
	}
	return Holt{Alpha: alpha, Beta: beta, Phi: phi, Level: level, Trend: trend,
		Sigma: math.Sqrt(sse / float64(len(y)-2)), N: len(y)}
}

// Forecast returns h steps ahead from the last point; step is the time
// between points and last the time of the last point. The band widens
// with the horizon as the damped trend's error variance does:
// var(h) = σ²·(1 + Σ_{j<h} α²(1 + β·φ_j)²), φ_j = φ + … + φ^j (j for
// the plain linear method). lo and hi clamp the band. An
// unfitted model (fewer than MinPoints points) forecasts nothing.
func (m Holt) Forecast(h int, last, step int64, lo, hi float64) []Band {
	if m.N < MinPoints {
		return []Band{}
	}
	out := make([]Band, 0, h)
	acc, damp, pk := 1.0, 0.0, 1.0
	for k := 1; k <= h; k++ {
		if k > 1 { // damp is φ + … + φ^(k−1) here
			acc += m.Alpha * m.Alpha * (1 + damp*m.Beta) * (1 + damp*m.Beta)
		}
		pk *= m.Phi
		damp += pk
		mean := m.Level + damp*m.Trend
		w := 1.96 * m.Sigma * math.Sqrt(acc)
		out = append(out, Band{TS: last + int64(k)*step, Mean: clamp(mean, lo, hi),
			Lo: clamp(mean-w, lo, hi), Hi: clamp(mean+w, lo, hi)})
	}
	return out
}

func clamp(x, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, x))
}
