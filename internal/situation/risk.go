package situation

import (
	"fmt"
	"math"
	"sort"

	"github.com/vigil-nsm/vigil/internal/store"
)

// importance by device class: servers, ICS and network gear matter most.
var importance = map[string]float64{
	"server": 1, "ics": 1, "plc": 1, "router": 0.9, "network": 0.9, "nas": 0.8, "camera": 0.6, "iot": 0.6,
	"hub": 0.6, "voip": 0.6, "printer": 0.5, "workstation": 0.5, "media": 0.4, "speaker": 0.4,
	"smart-plug": 0.4, "smart-bulb": 0.3, "phone": 0.4, "tablet": 0.4, "game-console": 0.3,
}

// HalfLife is the time (seconds) in which an alert's weight in an asset's
// risk halves, and an incident's after its last activity.
const HalfLife = 4 * 3600

// risks scores each asset at data time now: risk = 100·(1 − (1−E)(1−T))·
// (0.5 + 0.5·I), with E its exposure (worst finding), T its threat and I
// the importance of its class. T is the larger of 100·(1 − e^(−t/20)) and
// the score of the open incidents naming it (as attacker or victim),
// decayed from their last activity. t sums, for each alert class and role
// (victim, or actor which weighs 1.5×: a compromised host), the severity
// weight times repeats(n), n the class's alerts each decayed by
// 2^(−age/HalfLife), repeats(n) = n up to 1 and 1 + log₂ n beyond: repeats
// of one alert add little, and a lone alert's weight halves every HalfLife.
// The reasons list the findings, the incident and the heaviest classes
// with their weight. The top 25 are returned.
func risks(now float64, assets []store.Asset, alerts []store.Alert, incs []store.Incident) []AssetRisk {
	type key struct{ addr, role, class string }
	groups := map[key]*contrib{}
	byAddr := map[string][]*contrib{}
	add := func(addr, role string, a store.Alert) {
		k := key{addr, role, a.Class}
		g := groups[k]
		if g == nil {
			g = &contrib{role: role, class: a.Class, sev: 4}
			groups[k] = g
			byAddr[addr] = append(byAddr[addr], g)
		}
		g.sev = min(g.sev, clampSev(a.Severity))
		g.n += decay(now, a.TS)
		g.count++
	}
	for _, a := range alerts {
		if a.Dst != "" {
			add(a.Dst, "target", a)
		}
		for _, d := range a.Dsts { // the targets of an alert about many (a spray)
			if d != a.Dst && d != "" {
				add(d, "target", a)
			}
		}
		if a.Src != "" {
			add(a.Src, "source", a)
		}
	}
	type incScore struct {
		id          string
		orig, score float64
	}
	incBy := map[string]incScore{}
	for _, i := range incs {
		o := math.Min(100, float64(i.Score))
		s := o * decay(now, i.Last)
		for _, h := range append([]string{i.Attacker}, i.Victims...) {
			if h != "" && s > incBy[h].score {
				incBy[h] = incScore{i.ID, o, s}
			}
		}
	}
	out := []AssetRisk{}
	for _, a := range assets {
		r := AssetRisk{Host: a.Key, Addrs: a.Addrs, Class: a.Class, Importance: 0.5}
		if v, ok := importance[a.Class]; ok {
			r.Importance = v
		}
		if len(a.Findings) > 0 {
			r.Exposure = [5]float64{0, 90, 70, 40, 15}[clampSev(a.MaxSeverity)]
			r.Reasons = append(r.Reasons, fmt.Sprintf("findings: %v", a.Findings))
		}
		// one asset's addresses (IPv4, IPv6) share their classes
		merged := map[[2]string]*contrib{}
		var list []*contrib
		var inc incScore
		for _, addr := range a.Addrs {
			for _, g := range byAddr[addr] {
				m := merged[[2]string{g.role, g.class}]
				if m == nil {
					m = &contrib{role: g.role, class: g.class, sev: g.sev}
					merged[[2]string{g.role, g.class}] = m
					list = append(list, m)
				}
				m.sev = min(m.sev, g.sev)
				m.n += g.n
				m.count += g.count
			}
			if s := incBy[addr]; s.score > inc.score {
				inc = s
			}
		}
		var t float64
		for _, m := range list {
			m.weight = m.value()
			t += m.weight
		}
		sort.Slice(list, func(i, j int) bool {
			return list[i].weight > list[j].weight || list[i].weight == list[j].weight && list[i].class < list[j].class
		})
		r.Threat = round1(100 * (1 - math.Exp(-t/20)))
		if inc.score > r.Threat {
			r.Threat = round1(inc.score)
		}
		if inc.id != "" {
			r.Reasons = append(r.Reasons, fmt.Sprintf("incident %s (score %.0f): %.1f", inc.id, inc.orig, inc.score))
		}
		for _, m := range list {
			if len(r.Reasons) >= 6 || m.weight < 0.05 {
				break
			}
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s of %s ×%.0f (severity %d): %.1f", m.role, m.class, m.count, m.sev, m.weight))
		}
		r.Risk = round1(100 * (1 - (1-r.Exposure/100)*(1-r.Threat/100)) * (0.5 + 0.5*r.Importance))
		if r.Risk > 0 {
			out = append(out, r)
		}
	}
	sortRisks(out)
	if len(out) > 25 {
		out = out[:25]
	}
	return out
}

// contrib is one alert class's part in an asset's threat.
type contrib struct {
	role, class string
	sev         int
	n, count    float64 // decayed and plain number of alerts
	weight      float64
}

// value is the class's weight: severity weight (1.5× as source) · repeats(n).
func (c *contrib) value() float64 {
	w := sevWeight[c.sev] * repeats(c.n)
	if c.role == "source" {
		w *= 1.5
	}
	return w
}

// decay is the weight at data time now of what happened at ts.
func decay(now, ts float64) float64 {
	if ts >= now {
		return 1
	}
	return math.Exp2(-(now - ts) / HalfLife)
}
