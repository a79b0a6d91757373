package alert

import (
	"encoding/json"
	"testing"
)

// TestEVE: an alert becomes one Suricata alert event, the sender's MAC in
// EVE's ether object when the source address was forged.
func TestEVE(t *testing.T) {
	for _, tc := range []struct {
		a       Alert
		src     string
		dst     string
		etherOK bool
	}{
		{Alert{TS: 1.7e9, Src: "10.0.0.1", Dst: "10.0.0.2", DstP: 22, Proto: "tcp", Class: "bruteforce.ssh"}, "10.0.0.1", "10.0.0.2", false},
		{Alert{TS: 1.7e9, SrcMAC: "02:66:00:00:00:42", Dst: "10.0.0.2", Proto: "tcp", Class: "flood.syn"}, "", "10.0.0.2", true},
		{Alert{TS: 1.7e9, Src: "10.0.0.1", Dsts: []string{"10.0.0.3", "10.0.0.4"}, Class: "scan.horizontal"}, "10.0.0.1", "10.0.0.3", false},
	} {
		var ev struct {
			EventType string `json:"event_type"`
			SrcIP     string `json:"src_ip"`
			DestIP    string `json:"dest_ip"`
			Ether     *struct {
				SrcMAC string `json:"src_mac"`
			} `json:"ether"`
			Alert struct {
				Signature   string `json:"signature"`
				SignatureID int    `json:"signature_id"`
			} `json:"alert"`
		}
		if err := json.Unmarshal(tc.a.EVE(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.EventType != "alert" || ev.SrcIP != tc.src || ev.DestIP != tc.dst || ev.Alert.Signature == "" {
			t.Errorf("%s: event %+v", tc.a.Class, ev)
		}
		if (ev.Ether != nil) != tc.etherOK || (ev.Ether != nil && ev.Ether.SrcMAC != tc.a.SrcMAC) {
			t.Errorf("%s: ether %+v, want src_mac %q", tc.a.Class, ev.Ether, tc.a.SrcMAC)
		}
	}
}
