// Package situation is Vigil's situation model, computed from the store:
// perception (traffic, protocol mix, IPv4/IPv6 share, assets, alerts),
// comprehension (a risk score per asset from exposure, threat and
// importance; a network threat index 0–100 with its components) and
// projection (a forecast of the index and of the alert volume with a 95%
// band, by damped Holt smoothing).
//
// Time is data time: the model's "now" is the newest record stored, and
// the index is computed for every minute of the last Config.History
// minutes, so a capture from last year shows how its situation evolved.
package situation

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Config tunes the model.
type Config struct {
	// Window is the time (seconds) over which alerts weigh on the index.
	Window int64
	// History is the number of minutes of series computed and kept.
	History int
	// Horizon is the number of minutes forecast.
	Horizon int
	// Weights of the index components (they are normalised).
	Weights map[string]float64
}

// DefaultConfig weighs alerts 40%, incidents 30%, exposure 15% and
// traffic anomaly 15%, over a 15-minute window; six hours of history, a
// 30-minute forecast.
func DefaultConfig() Config {
	return Config{Window: 900, History: 360, Horizon: 30,
		Weights: map[string]float64{"alerts": 0.4, "incidents": 0.3, "exposure": 0.15, "anomaly": 0.15}}
}

// Snapshot is the situation at one moment.
type Snapshot struct {
	TS          int64                  `json:"ts"`
	Computed    time.Time              `json:"computed"`
	Index       float64                `json:"index"`
	Level       string                 `json:"level"`
	Components  []Component            `json:"components"`
	Perception  Perception             `json:"perception"`
	Risks       []AssetRisk            `json:"asset_risks"`
	Series      []store.SituationPoint `json:"series"`
	Forecast    []Band                 `json:"forecast_index"`
	AlertSeries []Band                 `json:"forecast_alerts"`
	// ForecastNote says why there is no forecast (too little data).
	ForecastNote string             `json:"forecast_note,omitempty"`
	Model        map[string]float64 `json:"model"`
}

// Component is one part of the threat index.
type Component struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"` // 0–100
	Weight float64 `json:"weight"`
	Detail string  `json:"detail"`
}

// Perception is what is there.
type Perception struct {
	ConnsPerMin   float64            `json:"conns_per_min"`
	BytesPerSec   float64            `json:"bytes_per_s"`
	PktsPerSec    float64            `json:"packets_per_s"`
	IPv6Share     float64            `json:"ipv6_share"`
	Protocols     []store.NamedCount `json:"protocols"`
	Assets        int                `json:"assets"`
	IoTAssets     int                `json:"iot_assets"`
	Alerts        int64              `json:"alerts"`
	BySeverity    map[int]int64      `json:"alerts_by_severity"`
	ByClass       []store.NamedCount `json:"alerts_by_class"`
	OpenIncidents int                `json:"open_incidents"`
}

// AssetRisk is one asset's risk and its parts.
type AssetRisk struct {
	Host       string   `json:"host"`
	Addrs      []string `json:"addrs"`
	Class      string   `json:"class"`
	Risk       float64  `json:"risk"`
	Exposure   float64  `json:"exposure"`
	Threat     float64  `json:"threat"`
	Importance float64  `json:"importance"`
	Reasons    []string `json:"reasons"`
}

// Model computes snapshots from a store.
type Model struct {
	st  store.Store
	cfg Config
}

// New returns a model over st.
func New(st store.Store, cfg Config) *Model {
	def := DefaultConfig()
	if cfg.Window <= 0 {
		cfg.Window = def.Window
	}
	if cfg.History <= 0 {
		cfg.History = def.History
	}
	if cfg.Horizon <= 0 {
		cfg.Horizon = def.Horizon
	}
	if len(cfg.Weights) == 0 {
		cfg.Weights = def.Weights
	}
	return &Model{st: st, cfg: cfg}
}

// inputs is what one computation reads from the store.
type inputs struct {
	now       int64
	minutes   []store.MinuteStats
	incidents []store.Incident // open, active in the index's range
	// riskIncidents are the open incidents of the last day.
	riskIncidents []store.Incident
	assets        []store.Asset
	alerts        []store.Alert
	overview      *store.Overview
}

// Compute reads the store, computes the series, saves it and returns the
// snapshot (an empty one when the store is empty).
func (m *Model) Compute(ctx context.Context) (*Snapshot, error) {
	in, err := m.read(ctx)
	if err != nil || in == nil {
		return &Snapshot{Computed: time.Now(), Level: "none", Components: []Component{}, Risks: []AssetRisk{},
			Series: []store.SituationPoint{}, Forecast: []Band{}, AlertSeries: []Band{}}, err
	}
	s := &Snapshot{TS: in.now, Computed: time.Now()}
	exposure, expDetail := exposureOf(in.assets)
	s.Series = m.series(in, exposure)
	if err := m.st.SaveSituation(ctx, s.Series); err != nil {
		return nil, err
	}
	last := s.Series[len(s.Series)-1]
	s.Index, s.Level = last.Index, level(last.Index)
	s.Components = m.components(last, expDetail, in)
	s.Perception = perceive(in)
	s.Risks = risks(float64(in.now), in.assets, in.alerts, in.riskIncidents)
	m.project(s)
	return s, nil
}

func (m *Model) read(ctx context.Context) (*inputs, error) {
	_, newest, err := m.st.Bounds(ctx)
	if err != nil || newest == 0 {
		return nil, err
	}
	now := store.BucketOf(newest, store.Minute)
	from := now - int64(m.cfg.History)*60
	in := &inputs{now: now}
	r := store.Range{From: float64(from - m.cfg.Window), To: float64(now + 59)}
	if in.minutes, err = m.st.Minutes(ctx, r); err != nil {
		return nil, err
	}
	// a day of incidents and alerts for the asset risks, whose weights
	// fade by then (HalfLife); the index takes the incidents of its range
	day := store.Range{From: float64(now - 86400), To: r.To}
	inc, err := m.st.Incidents(ctx, store.IncidentFilter{Range: day, Paging: store.Paging{Limit: 1000}})
	if err != nil {
		return nil, err
	}
	for _, i := range inc.Items {
		if i.Status == "closed" {
			continue
		}
		in.riskIncidents = append(in.riskIncidents, i)
		if i.Last >= r.From {
			in.incidents = append(in.incidents, i)
		}
	}
	as, err := m.st.Assets(ctx, store.AssetFilter{Paging: store.Paging{Limit: 1000}})
	if err != nil {
		return nil, err
	}
	in.assets = as.Items
	// the newest 1000 high and critical alerts, then the newest 1000 of
	// the others: a flood of scans does not push a compromise out
	for _, sev := range []int32{2, 4} {
		al, err := m.st.Alerts(ctx, store.AlertFilter{Range: day, MaxSeverity: sev, Paging: store.Paging{Limit: 1000}})
		if err != nil {
			return nil, err
		}
		for _, a := range al.Items {
			if (sev == 2) == (clampSev(a.Severity) <= 2) {
				in.alerts = append(in.alerts, a)
			}
		}
	}
	if in.overview, err = m.st.Overview(ctx, store.Range{From: float64(now - 3600), To: float64(now + 59)}); err != nil {
		return nil, err
	}
	return in, nil
}

// sevWeight is an alert's weight in the index by severity (1 critical …
// 4 info).
var sevWeight = [5]float64{0, 10, 5, 2, 0.5}

// series computes the index for every minute of the history.
func (m *Model) series(in *inputs, exposure float64) []store.SituationPoint {
	byMin := map[int64]store.MinuteStats{}
	for _, ms := range in.minutes {
		byMin[ms.Bucket] = ms
	}
	from := in.now - int64(m.cfg.History-1)*60
	if len(in.minutes) > 0 && in.minutes[0].Bucket > from {
		from = in.minutes[0].Bucket
	}
	var out []store.SituationPoint
	var hist []float64 // conns per minute, for the anomaly component
	for t := from; t <= in.now; t += 60 {
		ms := byMin[t]
		p := store.SituationPoint{TS: t, Conns: ms.Conns, Bytes: ms.Bytes,
			Alerts: ms.AlertsBySv[1] + ms.AlertsBySv[2] + ms.AlertsBySv[3] + ms.AlertsBySv[4]}
		c := map[string]float64{
			"alerts":    alertPressure(byMin, t, m.cfg.Window),
			"incidents": incidentPressure(in.incidents, float64(t), float64(m.cfg.Window)),
			"exposure":  exposure,
			"anomaly":   anomaly(hist, float64(ms.Conns)),
		}
		hist = append(hist, float64(ms.Conns))
		p.Components, p.Index = c, m.index(c)
		out = append(out, p)
	}
	return out
}

func (m *Model) index(c map[string]float64) float64 {
	var sum, wsum float64
	for k, w := range m.cfg.Weights {
		sum += w * c[k]
		wsum += w
	}
	if wsum == 0 {
		return 0
	}
	return math.Round(10*sum/wsum) / 10
}

// alertPressure saturates the severity-weighted alerts of the window:
// 100·(1 − e^(−A/25)), A = Σ weight(s)·repeats(n_s) over the severities,
// so that one noisy detector's thousand info alerts weigh less than a
// critical one.
func alertPressure(byMin map[int64]store.MinuteStats, t, window int64) float64 {
	var n [5]int64
	for u := t - window + 60; u <= t; u += 60 {
		ms := byMin[u]
		for s := 1; s <= 4; s++ {
			n[s] += ms.AlertsBySv[s]
		}
	}
	var a float64
	for s := 1; s <= 4; s++ {
		a += sevWeight[s] * repeats(float64(n[s]))
	}
	return round1(100 * (1 - math.Exp(-a/25)))
}

// repeats is what n alerts alike count for: n up to one, 1 + log₂ n
// beyond (a thousand count 11).
func repeats(n float64) float64 {
	if n > 1 {
		return 1 + math.Log2(n)
	}
	return n
}

// incidentPressure is the highest score of the incidents active at t (or
// ended less than a window before).
func incidentPressure(incs []store.Incident, t, window float64) float64 {
	var best float64
	for _, i := range incs {
		if i.First <= t+60 && i.Last+window >= t {
			best = math.Max(best, math.Min(100, float64(i.Score)))
		}
	}
	return best
}

// anomaly scores how far this minute's connections are from the last
// hour's: 25 points per standard deviation beyond two.
func anomaly(hist []float64, x float64) float64 {
	if len(hist) < 10 {
		return 0
	}
	h := hist[max(0, len(hist)-60):]
	var mean, sd float64
	for _, v := range h {
		mean += v
	}
	mean /= float64(len(h))
	for _, v := range h {
		sd += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(sd/float64(len(h))) + 1 + 0.05*mean
	z := math.Abs(x-mean) / sd
	return round1(clamp((z-2)*25, 0, 100))
}

// exposureOf scores the inventory's findings: each exposed host adds by
// its worst finding, saturating at 100.
func exposureOf(assets []store.Asset) (float64, string) {
	var e float64
	n := 0
	for _, a := range assets {
		if len(a.Findings) == 0 {
			continue
		}
		n++
		e += [5]float64{0, 4, 2.5, 1, 0.3}[clampSev(a.MaxSeverity)]
	}
	return round1(100 * (1 - math.Exp(-e/10))), fmt.Sprintf("%d of %d hosts with findings", n, len(assets))
}

func clampSev(s int32) int {
	if s < 1 || s > 4 {
		return 4
	}
	return int(s)
}

func (m *Model) components(last store.SituationPoint, expDetail string, in *inputs) []Component {
	details := map[string]string{
		"alerts":    fmt.Sprintf("severity-weighted alerts in the last %d min", m.cfg.Window/60),
		"incidents": fmt.Sprintf("highest score of %d open incidents active", len(in.incidents)),
		"exposure":  expDetail,
		"anomaly":   "connection rate against the last hour",
	}
	var out []Component
	for _, k := range []string{"alerts", "incidents", "exposure", "anomaly"} {
		out = append(out, Component{Name: k, Value: last.Components[k], Weight: m.cfg.Weights[k], Detail: details[k]})
	}
	return out
}

func level(x float64) string {
	switch {
	case x >= 80:
		return "severe"
	case x >= 60:
		return "high"
	case x >= 40:
		return "elevated"
	case x >= 20:
		return "guarded"
	}
	return "low"
}

func perceive(in *inputs) Perception {
	o := in.overview
	p := Perception{Protocols: o.Protocols, Alerts: o.Alerts, BySeverity: o.BySeverity, ByClass: o.ByClass,
		Assets: int(o.Assets), OpenIncidents: len(in.incidents)}
	if o.Bytes > 0 {
		p.IPv6Share = float64(o.IPv6Bytes) / float64(o.Bytes)
	}
	if n := len(in.minutes); n > 0 {
		last := in.minutes[n-1]
		p.ConnsPerMin = float64(last.Conns)
		p.BytesPerSec, p.PktsPerSec = float64(last.Bytes)/60, float64(last.Pkts)/60
	}
	for _, a := range in.assets {
		if isIoT(a) {
			p.IoTAssets++
		}
	}
	return p
}

func isIoT(a store.Asset) bool {
	for _, c := range store.IoTClasses {
		if a.Class == c {
			return true
		}
	}
	for _, f := range a.Findings {
		if len(f) > 4 && f[:4] == "iot." {
			return true
		}
	}
	return false
}

// project forecasts the index and the alert volume, or says that there
// are too few minutes to.
func (m *Model) project(s *Snapshot) {
	idx := make([]float64, len(s.Series))
	al := make([]float64, len(s.Series))
	for i, p := range s.Series {
		idx[i], al[i] = p.Index, float64(p.Alerts)
	}
	if len(idx) < MinPoints {
		s.Forecast, s.AlertSeries = []Band{}, []Band{}
		s.ForecastNote = fmt.Sprintf("not enough data to forecast: %d minutes, %d needed", len(idx), MinPoints)
		return
	}
	hi := FitHolt(idx)
	ha := FitHolt(al)
	s.Forecast = hi.Forecast(m.cfg.Horizon, s.TS, 60, 0, 100)
	s.AlertSeries = ha.Forecast(m.cfg.Horizon, s.TS, 60, 0, math.Inf(1))
	s.Model = map[string]float64{"index_alpha": hi.Alpha, "index_beta": hi.Beta, "index_phi": hi.Phi,
		"index_sigma": hi.Sigma, "alerts_alpha": ha.Alpha, "alerts_beta": ha.Beta, "alerts_sigma": ha.Sigma}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// sortRisks orders by risk, highest first.
func sortRisks(r []AssetRisk) {
	sort.Slice(r, func(i, j int) bool { return r[i].Risk > r[j].Risk || r[i].Risk == r[j].Risk && r[i].Host < r[j].Host })
}
