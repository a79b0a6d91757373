package situation

import (
	"math"
	"math/rand/v2"
	"testing"
)

// backtest forecasts y from every 20th origin with the model's own
// settings (the last History points fitted, Horizon steps ahead) and
// returns the mean absolute errors of Holt, the last value and the mean
// of the last 15 points, with the share of outcomes inside Holt's band.
func backtest(y []float64, lo, hi float64) (holt, naive, ma, cover float64) {
	const hist, h = 360, 30
	var n, in int
	for origin := 60; origin+h <= len(y); origin += 20 {
		fit := y[max(0, origin-hist):origin]
		fc := FitHolt(fit).Forecast(h, 0, 60, lo, hi)
		var avg float64
		for _, v := range fit[max(0, len(fit)-15):] {
			avg += v
		}
		avg /= float64(min(15, len(fit)))
		for k, b := range fc {
			a := y[origin+k]
			holt += math.Abs(a - b.Mean)
			naive += math.Abs(a - fit[len(fit)-1])
			ma += math.Abs(a - avg)
			if a >= b.Lo && a <= b.Hi {
				in++
			}
			n++
		}
	}
	return holt / float64(n), naive / float64(n), ma / float64(n), float64(in) / float64(n)
}

func synthetic(kind string, r *rand.Rand) []float64 {
	y := make([]float64, 1500)
	for i := range y {
		x := float64(i)
		switch kind {
		case "steady":
			y[i] = 30 + r.NormFloat64()*3
		case "daily cycle":
			y[i] = 40 + 25*math.Sin(2*math.Pi*x/1440) + r.NormFloat64()*3
		case "step":
			y[i] = 10 + r.NormFloat64()*2
			if i%500 >= 250 {
				y[i] += 40
			}
		case "spikes":
			y[i] = 10 + r.NormFloat64()*2
			if i%97 == 0 {
				y[i] = 90
			}
		case "alert counts":
			y[i] = float64(poisson(r, 3))
			if i%131 == 0 {
				y[i] = 500
			}
		case "index plateaus":
			// an attack every ~2 h raises the index for the 15-minute window
			if i%120 < 15 {
				y[i] = 45 + r.NormFloat64()
			} else {
				y[i] = 8 + r.NormFloat64()
			}
		}
		if kind != "alert counts" {
			y[i] = clamp(y[i], 0, 100)
		}
	}
	return y
}

func poisson(r *rand.Rand, l float64) int {
	k, p, e := 0, 1.0, math.Exp(-l)
	for {
		p *= r.Float64()
		if p < e {
			return k
		}
		k++
	}
}

// TestBacktest measures the forecast against naive baselines on
// synthetic series shaped like the index and the alert volume: steady,
// a daily cycle, a step, lone spikes, Poisson alert counts with bursts
// of 500, and the index's 15-minute plateaus when an attack comes. Holt
// must not do worse than the last value, and its 95% band must hold.
func TestBacktest(t *testing.T) {
	for _, kind := range []string{"steady", "daily cycle", "step", "spikes", "alert counts", "index plateaus"} {
		r := rand.New(rand.NewPCG(1, 2))
		hi := 100.0
		if kind == "alert counts" {
			hi = math.Inf(1)
		}
		holt, naive, ma, cover := backtest(synthetic(kind, r), 0, hi)
		t.Logf("%-15s MAE Holt %6.2f  last value %6.2f  mean of 15 %6.2f  band covers %3.0f%%", kind, holt, naive, ma, 100*cover)
		if holt > 1.05*naive || cover < 0.85 {
			t.Errorf("%s: Holt MAE %.2f against the last value's %.2f, band covers %.0f%%", kind, holt, naive, 100*cover)
		}
	}
}
