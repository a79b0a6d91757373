package alert

import (
	"encoding/json"
	"net/netip"
	"strings"
)

// eveAlert is Suricata's alert object.
type eveAlert struct {
	Action      string `json:"action"`
	GID         int    `json:"gid"`
	SignatureID int    `json:"signature_id"`
	Rev         int    `json:"rev"`
	Signature   string `json:"signature"`
	Category    string `json:"category"`
	Severity    int    `json:"severity"`
}

type eveVigil struct {
	Class      string         `json:"class"`
	Severity   int            `json:"severity"`
	Confidence float64        `json:"confidence"`
	MITRE      []string       `json:"mitre"`
	Summary    string         `json:"summary"`
	Evidence   map[string]any `json:"evidence"`
	UIDs       []string       `json:"uids,omitempty"`
	Dsts       []string       `json:"dsts,omitempty"`
	Exposed    string         `json:"exposed,omitempty"`
	Detector   string         `json:"detector"`
	Stage      string         `json:"stage"`
}

type eveEvent struct {
	Timestamp string    `json:"timestamp"`
	EventType string    `json:"event_type"`
	SrcIP     string    `json:"src_ip,omitempty"`
	SrcPort   uint16    `json:"src_port,omitempty"`
	DestIP    string    `json:"dest_ip,omitempty"`
	DestPort  uint16    `json:"dest_port,omitempty"`
	Proto     string    `json:"proto,omitempty"`
	ICMPType  *uint16   `json:"icmp_type,omitempty"`
	ICMPCode  *uint16   `json:"icmp_code,omitempty"`
	Ether     *eveEther `json:"ether,omitempty"`
	Alert     eveAlert  `json:"alert"`
	Vigil     eveVigil  `json:"vigil"`
}

// eveEther is EVE's link-layer object.
type eveEther struct {
	SrcMAC string `json:"src_mac"`
}

// EVETime formats epoch seconds the way eve.json does
// (2006-01-02T15:04:05.000000+0000).
func EVETime(ts float64) string {
	return Time(ts).Format("2006-01-02T15:04:05.000000-0700")
}

// EVE returns a as one Suricata eve.json alert event (no newline). The
// signature id is stable per class; Suricata's severity has three levels,
// so info (4) is written as 3. Vigil's own fields are under "vigil".
func (a *Alert) EVE() []byte {
	info := Lookup(a.Class)
	sev := a.Severity
	if sev > 3 {
		sev = 3
	}
	ev := eveEvent{
		Timestamp: EVETime(a.TS),
		EventType: "alert",
		SrcIP:     a.Src,
		SrcPort:   a.SrcP,
		DestIP:    a.Dst,
		DestPort:  a.DstP,
		Proto:     strings.ToUpper(a.Proto),
		Alert: eveAlert{
			Action: "allowed", GID: 1, SignatureID: info.SID, Rev: 1,
			Signature: "VIGIL " + a.Class + " " + info.Title,
			Category:  info.Category, Severity: sev,
		},
		Vigil: eveVigil{
			Class: a.Class, Severity: a.Severity, Confidence: a.Confidence, MITRE: a.MITRE,
			Summary: a.Summary, Evidence: a.Evidence, UIDs: a.UIDs, Dsts: a.Dsts, Exposed: a.Exposed,
			Detector: a.Detector, Stage: info.Stage.String(),
		},
	}
	if a.SrcMAC != "" {
		ev.Ether = &eveEther{SrcMAC: a.SrcMAC}
	}
	if ev.DestIP == "" && len(a.Dsts) > 0 {
		ev.DestIP = a.Dsts[0]
	}
	if strings.EqualFold(a.Proto, "icmp") {
		// As Suricata: no ports for ICMP but icmp_type and icmp_code,
		// and ICMPv6 named IPv6-ICMP.
		ev.SrcPort, ev.DestPort = 0, 0
		ev.ICMPType, ev.ICMPCode = icmpTypeCode(a.SrcP, a.DstP)
		if ipv6(ev.SrcIP) || ipv6(ev.DestIP) {
			ev.Proto = "IPv6-ICMP"
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"event_type": "alert", "error": err.Error()})
	}
	return b
}

// icmpTypeCode reads an ICMP alert's type and code from its ports. Alerts
// about one exchange keep Zeek's conn.log convention (orig_p the type,
// resp_p the code); a scan's alert names the probe's type as the port
// probed (dst_p) and has no code. Neither set (an echo reply, type 0, or
// a flood of several types): none.
func icmpTypeCode(srcP, dstP uint16) (typ, code *uint16) {
	switch {
	case srcP != 0:
		return &srcP, &dstP
	case dstP != 0:
		return &dstP, nil
	}
	return nil, nil
}

// ipv6 tells whether s is an IPv6 address (not an IPv4-mapped one).
func ipv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && !a.Is4In6()
}
