package beacon

import (
	"math"
	"sort"
)

// Scores are the four parts of the beacon score and their weighted sum,
// following RITA's published description (see the package doc).
type Scores struct {
	Timestamp, DataSize, Duration, Histogram float64
	Total                                    float64
	// The numbers behind them.
	Conns         int
	TSSkew, TSMAD float64
	DSSkew, DSMAD float64
	DSMode        float64
	Interval      float64 // most common interval (s)
	HoursSeen     int     // non-empty histogram buckets (of 24)
	Coverage      float64
	Consistency   float64
	HistCV        float64
	HistBimodal   float64
}

// Weights and the histogram/duration parameters of the score.
type Weights struct {
	Timestamp float64 `json:"timestamp"`
	DataSize  float64 `json:"datasize"`
	Duration  float64 `json:"duration"`
	Histogram float64 `json:"histogram"`
	// DurationMinHours: non-empty buckets needed for a duration score.
	DurationMinHours int `json:"duration_min_hours_seen"`
	// ConsistencyIdealHours: the run of consecutive non-empty buckets that
	// scores 1.
	ConsistencyIdealHours int `json:"duration_consistency_ideal_hours_seen"`
	// ModeSensitivity groups bucket counts in bins of this share of the
	// largest count for the bimodal fit.
	ModeSensitivity float64 `json:"histogram_mode_sensitivity"`
	// BimodalOutliers buckets may be left out of the bimodal fit.
	BimodalOutliers int `json:"histogram_bimodal_outlier_removal"`
	// BimodalMinHours: non-empty buckets needed for the bimodal fit.
	BimodalMinHours int `json:"histogram_bimodal_min_hours_seen"`
}

// DefaultWeights are RITA's defaults.
func DefaultWeights() Weights {
	return Weights{Timestamp: 0.25, DataSize: 0.25, Duration: 0.25, Histogram: 0.25,
		DurationMinHours: 6, ConsistencyIdealHours: 12, ModeSensitivity: 0.05, BimodalOutliers: 1, BimodalMinHours: 11}
}

// buckets is the number of histogram bars over the observation window
// (RITA's hourly bars of a day).
const buckets = 24

// Score computes the beacon score of one pair: ts are connection start
// times (epoch s, any order), sizes the bytes the source sent in each,
// [obsStart, obsEnd] the observation window.
func Score(ts, sizes []float64, obsStart, obsEnd float64, w Weights) Scores {
	s := Scores{Conns: len(ts)}
	sorted := make([]float64, len(ts))
	for i, t := range ts {
		sorted[i] = math.Floor(t) // second resolution, as RITA stores times
	}
	sort.Float64s(sorted)
	s.Timestamp = s.timestampScore(sorted)
	s.DataSize = s.dataSizeScore(sizes)
	freq := histogram(sorted, math.Floor(obsStart), math.Floor(obsEnd))
	s.Histogram = s.histogramScore(freq, w)
	s.Duration = s.durationScore(sorted, freq, obsStart, obsEnd, w)
	total := w.Timestamp*s.Timestamp + w.DataSize*s.DataSize + w.Duration*s.Duration + w.Histogram*s.Histogram
	s.Total = round3(total)
	s.Timestamp, s.DataSize = round3(s.Timestamp), round3(s.DataSize)
	s.Duration, s.Histogram = round3(s.Duration), round3(s.Histogram)
	return s
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

// timestampScore: intervals between connections (zero intervals dropped)
// should be symmetric (Bowley skew near 0) and tight (MAD under 30 s).
func (s *Scores) timestampScore(sorted []float64) float64 {
	var iv []float64
	for i := 1; i < len(sorted); i++ {
		if d := sorted[i] - sorted[i-1]; d > 0 {
			iv = append(iv, d)
		}
	}
	if len(iv) == 0 {
		return 0
	}
	sort.Float64s(iv)
	s.TSSkew, s.TSMAD = bowley(iv), mad(iv)
	s.Interval = mode(iv)
	return (1 - math.Abs(s.TSSkew) + clamp01(1-s.TSMAD/30)) / 2
}

// dataSizeScore: sizes should be symmetric, tight (MAD under 32 bytes) and
// small (mode well under 64 KiB).
func (s *Scores) dataSizeScore(sizes []float64) float64 {
	if len(sizes) == 0 {
		return 0
	}
	v := append([]float64(nil), sizes...)
	sort.Float64s(v)
	s.DSSkew, s.DSMAD, s.DSMode = bowley(v), mad(v), mode(v)
	return (1 - math.Abs(s.DSSkew) + clamp01(1-s.DSMAD/32) + clamp01(1-s.DSMode/65535)) / 3
}

// histogram counts connections in 24 equal bars over the window.
func histogram(sorted []float64, start, end float64) []int {
	freq := make([]int, buckets)
	width := (end - start) / buckets
	for _, t := range sorted {
		i := buckets - 1
		if width > 0 {
			i = int((t - start) / width)
		}
		freq[max(0, min(i, buckets-1))]++
	}
	return freq
}

// histogramScore: connections spread evenly over time (low coefficient of
// variation of the bars), or in two flat levels (bimodal fit).
func (s *Scores) histogramScore(freq []int, w Weights) float64 {
	mean, hours, top := 0.0, 0, 0
	for _, f := range freq {
		mean += float64(f)
		if f > 0 {
			hours++
		}
		top = max(top, f)
	}
	s.HoursSeen = hours
	mean /= float64(len(freq))
	if mean == 0 {
		return 0
	}
	sd := 0.0
	for _, f := range freq {
		sd += (float64(f) - mean) * (float64(f) - mean)
	}
	s.HistCV = math.Sqrt(sd/float64(len(freq))) / mean
	score := clamp01(1 - s.HistCV)
	if hours >= w.BimodalMinHours && hours > w.BimodalOutliers {
		size := math.Ceil(float64(top) * w.ModeSensitivity)
		bins := map[int]int{}
		for _, f := range freq {
			if f > 0 {
				bins[int(float64(f)/size)]++
			}
		}
		first, second := 0, 0
		for _, n := range bins {
			if n > first {
				first, second = n, first
			} else if n > second {
				second = n
			}
		}
		s.HistBimodal = clamp01(float64(first+second) / float64(hours-w.BimodalOutliers))
		score = math.Max(score, s.HistBimodal)
	}
	return score
}

// durationScore: the pair spans much of the window (coverage) or is seen
// in a long run of consecutive bars (consistency, wrapping around).
func (s *Scores) durationScore(sorted []float64, freq []int, start, end float64, w Weights) float64 {
	if s.HoursSeen <= w.DurationMinHours || len(sorted) == 0 {
		return 0
	}
	if end > start {
		s.Coverage = clamp01((sorted[len(sorted)-1] - sorted[0]) / (math.Floor(end) - math.Floor(start)))
	}
	run, best := 0, 0
	for i := 0; i < 2*len(freq); i++ {
		if freq[i%len(freq)] > 0 {
			run++
			best = max(best, min(run, len(freq)))
		} else {
			run = 0
		}
	}
	s.Consistency = clamp01(float64(best) / float64(w.ConsistencyIdealHours))
	return math.Max(s.Coverage, s.Consistency)
}

// quantile is the linearly interpolated quantile p of sorted values.
func quantile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	h := float64(len(v)-1) * p
	i := int(h)
	if i+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[i] + (v[i+1]-v[i])*(h-float64(i))
}

// bowley is the quartile skewness (Q1+Q3-2·Q2)/(Q3-Q1) of sorted values;
// 0 when the quartiles coincide (a spike in the distribution, which is
// what a beacon looks like, not maximal skew).
func bowley(v []float64) float64 {
	q1, q2, q3 := quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75)
	if q3 == q1 || q2 == q1 || q2 == q3 {
		return 0
	}
	return (q1 + q3 - 2*q2) / (q3 - q1)
}

// mad is the median absolute deviation of sorted values.
func mad(v []float64) float64 {
	m := quantile(v, 0.5)
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = math.Abs(x - m)
	}
	sort.Float64s(dev)
	return quantile(dev, 0.5)
}

// mode is the most common value of sorted values (the smallest on ties).
func mode(v []float64) float64 {
	best, bestN, n := 0.0, 0, 0
	for i := range v {
		if i > 0 && v[i] == v[i-1] {
			n++
		} else {
			n = 1
		}
		if n > bestN {
			best, bestN = v[i], n
		}
	}
	return best
}
