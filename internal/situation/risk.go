package situation

import (
	"fmt"
	"math"

	"github.com/vigil-nsm/vigil/internal/store"
)

// importance by device class: servers, ICS and network gear matter most.
var importance = map[string]float64{
	"server": 1, "ics": 1, "plc": 1, "router": 0.9, "network": 0.9, "nas": 0.8, "camera": 0.6, "iot": 0.6,
	"hub": 0.6, "voip": 0.6, "printer": 0.5, "workstation": 0.5, "media": 0.4, "speaker": 0.4,
	"smart-plug": 0.4, "smart-bulb": 0.3, "phone": 0.4, "tablet": 0.4, "game-console": 0.3,
}

// risks scores each asset: risk = 100·(1 − (1−E)(1−T))·(0.5 + 0.5·I),
// with E its exposure (worst finding), T the threat from alerts naming
// it (as victim, or as actor which weighs more: a compromised host) and I
// the importance of its class. The top 25 are returned.
func risks(assets []store.Asset, alerts []store.Alert) []AssetRisk {
	threat := map[string]float64{}
	why := map[string][]string{}
	for _, a := range alerts {
		w := sevWeight[clampSev(a.Severity)]
		if a.Dst != "" {
			threat[a.Dst] += w
			why[a.Dst] = appendReason(why[a.Dst], "target of "+a.Class)
		}
		if a.Src != "" {
			threat[a.Src] += 1.5 * w
			why[a.Src] = appendReason(why[a.Src], "source of "+a.Class)
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
		var t float64
		for _, addr := range a.Addrs {
			t += threat[addr]
			for _, w := range why[addr] {
				r.Reasons = appendReason(r.Reasons, w)
			}
		}
		r.Threat = round1(100 * (1 - math.Exp(-t/20)))
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

func appendReason(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	if len(list) >= 6 {
		return list
	}
	return append(list, s)
}
