package beacon

import (
	"math"
	"slices"
	"sort"
)

// Scores are the four parts of the beacon score and their weighted sum,
// following RITA v5's formulas (see the package doc).
type Scores struct {
	Timestamp, DataSize, Duration, Histogram float64
	Total                                    float64
	// The numbers behind them.
	Conns          int
	TSSkew, TSMAD  float64
	DSSkew, DSMAD  float64
	DSMode         float64
	Interval       float64 // most common interval (s)
	IntervalMedian float64 // median interval (s): what the MAD is judged against
	// Start and End are the window scored (epoch s, whole seconds), Bars
	// the connections in each of its 24 equal bars.
	Start, End  float64
	Bars        [buckets]int
	HoursSeen   int // filled bars (of 24; RITA's "hours seen" of a day's window): bars_seen
	Coverage    float64
	Consistency float64
	HistCV      float64
	HistBimodal float64
}

// Weights and the histogram/duration parameters of the score.
type Weights struct {
	Timestamp float64 `json:"timestamp"`
	DataSize  float64 `json:"datasize"`
	Duration  float64 `json:"duration"`
	Histogram float64 `json:"histogram"`
	// DurationMinHours: filled bars needed for a duration score.
	DurationMinHours int `json:"duration_min_hours_seen"`
	// ConsistencyIdealHours: the run of consecutive filled bars that
	// scores 1.
	ConsistencyIdealHours int `json:"duration_consistency_ideal_hours_seen"`
	// ModeSensitivity groups bucket counts in bins of this share of the
	// largest count for the bimodal fit.
	ModeSensitivity float64 `json:"histogram_mode_sensitivity"`
	// BimodalOutliers bars may be left out of the bimodal fit.
	BimodalOutliers int `json:"histogram_bimodal_outlier_removal"`
	// BimodalMinHours: filled bars needed for the bimodal fit.
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
// times (epoch s, any order), sizes the bytes the source sent in each (IP
// bytes, as RITA v5), [obsStart, obsEnd] the observation window.
func Score(ts, sizes []float64, obsStart, obsEnd float64, w Weights) Scores {
	s := Scores{Conns: len(ts), Start: math.Floor(obsStart), End: math.Floor(obsEnd)}
	n := max(len(ts), len(sizes))
	buf := make([]float64, 3*n) // times, then intervals and sizes, then deviations
	sorted, scratch, dev := buf[:len(ts)], buf[n:2*n], buf[2*n:]
	for i, t := range ts {
		sorted[i] = math.Floor(t) // second resolution, as RITA stores times
	}
	sort.Float64s(sorted)
	s.Timestamp = s.timestampScore(sorted, scratch, dev)
	s.DataSize = s.dataSizeScore(sizes, scratch, dev)
	s.histogram(sorted)
	s.Histogram = s.histogramScore(w)
	s.Duration = s.durationScore(sorted, w)
	total := w.Timestamp*s.Timestamp + w.DataSize*s.DataSize + w.Duration*s.Duration + w.Histogram*s.Histogram
	s.Total = round3(total)
	s.Duration, s.Histogram = round3(s.Duration), round3(s.Histogram)
	return s
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// ceil3 rounds up to three decimals, as RITA's duration parts.
func ceil3(f float64) float64 { return math.Ceil(f*1000) / 1000 }

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

// timestampScore: intervals between connections (zero intervals dropped)
// should be symmetric (Bowley skew near 0) and tight relative to their
// median ((median − MAD)/median). scratch and dev hold len(sorted) values.
func (s *Scores) timestampScore(sorted, scratch, dev []float64) float64 {
	iv := scratch[:0]
	for i := 1; i < len(sorted); i++ {
		if d := sorted[i] - sorted[i-1]; d > 0 {
			iv = append(iv, d)
		}
	}
	if len(iv) == 0 {
		return 0
	}
	sort.Float64s(iv)
	s.Interval, s.IntervalMedian = mode(iv), median(iv)
	var score float64
	s.TSSkew, s.TSMAD, score = dispersion(iv, 1, dev)
	return score
}

// dataSizeScore: the bytes sent per connection should be symmetric and
// tight relative to their median. scratch and dev hold len(sizes) values.
func (s *Scores) dataSizeScore(sizes, scratch, dev []float64) float64 {
	if len(sizes) == 0 {
		return 0
	}
	v := append(scratch[:0], sizes...)
	sort.Float64s(v)
	s.DSMode = mode(v)
	var score float64
	s.DSSkew, s.DSMAD, score = dispersion(v, 0, dev)
	return score
}

// dispersion is RITA v5's score of sorted values: the mean of 1 − |Bowley
// skew| and (median − MAD)/median (def when the median is under 1),
// rounded to three decimals. The skew is 0 when the quartiles are less than
// 10 apart or the median equals one of them: a spike, which is what a
// beacon looks like, not maximal skew. dev holds len(v) values.
func dispersion(v []float64, def float64, dev []float64) (skew, mad, score float64) {
	skew = bowley(v)
	m := median(v)
	dev = dev[:len(v)]
	for i, x := range v {
		dev[i] = math.Abs(x - m)
	}
	sort.Float64s(dev)
	mad = median(dev)
	madScore := def
	if m >= 1 {
		madScore = math.Max(0, (m-mad)/m)
	}
	return skew, mad, round3((1 - math.Abs(skew) + madScore) / 2)
}

// histogram counts connections in 24 equal bars over the window.
func (s *Scores) histogram(sorted []float64) {
	width := (s.End - s.Start) / buckets
	for _, t := range sorted {
		i := buckets - 1
		if width > 0 {
			i = int((t - s.Start) / width)
		}
		s.Bars[max(0, min(i, buckets-1))]++
	}
}

// histogramScore: connections spread evenly over time (low coefficient of
// variation of the bars), or in two flat levels (bimodal fit).
func (s *Scores) histogramScore(w Weights) float64 {
	freq := s.Bars[:]
	mean, bars, top := 0.0, 0, 0
	for _, f := range freq {
		mean += float64(f)
		if f > 0 {
			bars++
		}
		top = max(top, f)
	}
	s.HoursSeen = bars
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
	if bars >= w.BimodalMinHours && bars > w.BimodalOutliers {
		s.HistBimodal = clamp01(float64(twoLevels(freq, top, w.ModeSensitivity)) / float64(bars-w.BimodalOutliers))
		score = math.Max(score, s.HistBimodal)
	}
	return score
}

// twoLevels is how many filled bars fall in the two most common levels,
// bar counts grouped in bins of sensitivity × the largest count.
func twoLevels(freq []int, top int, sensitivity float64) int {
	size := math.Ceil(float64(top) * sensitivity)
	var levels [buckets]int
	n := 0
	for _, f := range freq {
		if f > 0 {
			levels[n] = int(float64(f) / size)
			n++
		}
	}
	slices.Sort(levels[:n])
	first, second, run := 0, 0, 0
	for i := range n {
		run++
		if i < n-1 && levels[i+1] == levels[i] {
			continue
		}
		if run > first {
			first, second = run, first
		} else if run > second {
			second = run
		}
		run = 0
	}
	return first + second
}

// durationScore: the pair spans much of the window (coverage) or is seen
// in a long run of consecutive bars (consistency, wrapping around); both
// rounded up to three decimals, as RITA's.
func (s *Scores) durationScore(sorted []float64, w Weights) float64 {
	if s.HoursSeen < w.DurationMinHours || len(sorted) == 0 {
		return 0
	}
	if s.End > s.Start {
		s.Coverage = math.Min(1, ceil3((sorted[len(sorted)-1]-sorted[0])/(s.End-s.Start)))
	}
	run, best := 0, 0
	for i := 0; i < 2*buckets; i++ {
		if s.Bars[i%buckets] > 0 {
			run++
			best = max(best, min(run, buckets))
		} else {
			run = 0
		}
	}
	s.Consistency = math.Min(1, ceil3(float64(best)/float64(w.ConsistencyIdealHours)))
	return math.Max(s.Coverage, s.Consistency)
}

// median of sorted values (the mean of the middle two for an even count);
// 0 for none.
func median(v []float64) float64 {
	n := len(v)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// bowley is RITA v5's quartile skewness (Q1+Q3-2·Q2)/(Q3-Q1) of sorted
// values, the quartiles the medians of the lower and upper halves (the
// median left out of both for an odd count); 0 when Q3−Q1 is under 10 or
// the median equals a quartile.
func bowley(v []float64) float64 {
	n := len(v)
	q1, q2, q3 := median(v[:n/2]), median(v), median(v[(n+1)/2:])
	if q3-q1 < 10 || q2 == q1 || q2 == q3 {
		return 0
	}
	return (q1 + q3 - 2*q2) / (q3 - q1)
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
