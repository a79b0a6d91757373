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

// TestFillKeepsAddresses: Src and Dst stay IP addresses, as alerts.log's
// contract and EVE's src_ip/dest_ip need. A host named only by its MAC
// moves to SrcMAC (the EVE ether object) and still keys its own episode.
func TestFillKeepsAddresses(t *testing.T) {
	for _, tc := range []struct {
		src, dst            string
		wantSrc, wantDst    string
		wantMAC, wantSrcEVE string
	}{
		{"10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.2", "", "10.0.0.1"},
		{"fe80::1", "ff02::1", "fe80::1", "ff02::1", "", "fe80::1"},
		{"02:66:31:A8:52:75", "fe80::2", "", "fe80::2", "02:66:31:a8:52:75", ""},
		{"parent CF1GTHywxT0C", "", "", "", "", ""},
		{"10.0.0.1", "00:00:de:ad:be:ef", "10.0.0.1", "", "", "10.0.0.1"},
	} {
		a := Alert{TS: 1.7e9, Src: tc.src, Dst: tc.dst, Class: "ipv6.dad_dos"}
		a.Fill()
		if a.Src != tc.wantSrc || a.Dst != tc.wantDst || a.SrcMAC != tc.wantMAC {
			t.Errorf("%q → %q: src %q dst %q mac %q, want %q %q %q", tc.src, tc.dst, a.Src, a.Dst, a.SrcMAC, tc.wantSrc, tc.wantDst, tc.wantMAC)
		}
		var ev struct {
			SrcIP string `json:"src_ip"`
		}
		if err := json.Unmarshal(a.EVE(), &ev); err != nil || ev.SrcIP != tc.wantSrcEVE {
			t.Errorf("%q: EVE src_ip %q (%v), want %q", tc.src, ev.SrcIP, err, tc.wantSrcEVE)
		}
	}
	one := Alert{Src: "02:66:00:00:00:01", Class: "ipv6.kill_router"}
	two := Alert{Src: "02:66:00:00:00:02", Class: "ipv6.kill_router"}
	one.Fill()
	two.Fill()
	if one.Key() == two.Key() {
		t.Errorf("two hosts known by their MACs share the episode key %q", one.Key())
	}
}
