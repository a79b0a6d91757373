package assets

import "testing"

// TestICSIdentity: a device that says what it is — a Modbus Read Device
// Identification answer, an EtherNet/IP List Identity answer over TCP or
// to a UDP broadcast — is named by it: its device guess, class ics, and
// its service's software and version.
func TestICSIdentity(t *testing.T) {
	tests := []struct {
		name, log, line, addr, proto string
		port                         uint16
		device, software, version    string
	}{
		{"modbus", "modbus", `{"ts":10,"uid":"Cm1","id.orig_h":"10.1.0.5","id.orig_p":40000,"id.resp_h":"10.1.0.20","id.resp_p":502,"tid":7,"unit":1,"func":"ENCAP_INTERFACE_TRANSPORT","pdu_type":"RESP","mei_type":"READ_DEVICE_IDENTIFICATION","read_device_id":"REGULAR","conformity_level":130,"vendor_name":"Schneider Electric","product_code":"BMX P34 2020","revision":"v2.70","model_name":"M340"}`,
			"10.1.0.20", "tcp", 502, "Schneider Electric M340", "Schneider Electric M340", "v2.70"},
		{"enip tcp", "enip_list_identity", `{"ts":10,"uid":"Ce1","id.orig_h":"10.1.0.5","id.orig_p":31304,"id.resp_h":"10.1.0.21","id.resp_p":44818,"is_orig":false,"proto":"tcp","encapsulation_version":1,"socket_address":"10.1.1.164","socket_port":44818,"vendor_id":1,"vendor_name":"Rockwell Automation/Allen-Bradley","device_type_id":12,"device_type":"Communications Adapter","product_code":58,"revision":"4.3","serial_number":"0x00524d8e","product_name":"1756-ENBT/A","device_state":3}`,
			"10.1.0.21", "tcp", 44818, "Rockwell Automation/Allen-Bradley 1756-ENBT/A", "Rockwell Automation/Allen-Bradley 1756-ENBT/A", "4.3"},
		{"enip broadcast answer", "enip_list_identity", `{"ts":10,"uid":"Ce2","id.orig_h":"10.1.0.22","id.orig_p":44818,"id.resp_h":"10.1.0.5","id.resp_p":50000,"is_orig":true,"proto":"udp","encapsulation_version":1,"vendor_id":283,"product_code":7,"revision":"2.1","product_name":"Drive X"}`,
			"10.1.0.22", "udp", 44818, "Drive X", "Drive X", "2.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := newInv(t, nil)
			feed(inv, tc.log, tc.line)
			inv.Close()
			h := host(t, inv.Hosts(), tc.addr)
			if h.Device == nil || h.Device.Value != tc.device || h.Class == nil || h.Class.Value != "ics" {
				t.Fatalf("device %+v class %+v, want device %q class ics", h.Device, h.Class, tc.device)
			}
			for _, s := range h.Services {
				if s.Proto == tc.proto && s.Port == tc.port {
					if s.Software != tc.software || s.Version != tc.version {
						t.Fatalf("service %+v, want software %q version %q", s, tc.software, tc.version)
					}
					return
				}
			}
			t.Fatalf("no %s/%d service in %+v", tc.proto, tc.port, h.Services)
		})
	}
}
