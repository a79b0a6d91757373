package decode

import (
	"net/netip"
	"reflect"
	"testing"
)

// TestResetClearsEveryField fills every field of a Packet and checks that
// Reset clears all of them but the Tunnels and Anomalies arrays, whose
// entries beyond the counts are never read. A field added to Packet and
// forgotten in Reset fails here.
func TestResetClearsEveryField(t *testing.T) {
	var p Packet
	v := reflect.ValueOf(&p).Elem()
	for i := 0; i < v.NumField(); i++ {
		fill(v.Field(i))
	}
	if p.IP.Src == (netip.Addr{}) || p.NumTunnels == 0 || len(p.Payload) == 0 {
		t.Fatal("fill left fields empty")
	}
	p.Reset()
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if name == "Tunnels" || name == "Anomalies" {
			continue
		}
		if !v.Field(i).IsZero() {
			t.Errorf("Reset leaves %s = %v", name, v.Field(i).Interface())
		}
	}
}

// fill sets v to a non-zero value of its type.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(netip.Addr{}) {
			v.Set(reflect.ValueOf(netip.MustParseAddr("192.0.2.1")))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				fill(v.Field(i))
			}
		}
	}
}

// TestDecodeResetsReusedPacket decodes every decode case into a Packet
// that last held every other case (ARP, fragments, tunnels, anomalies,
// truncated frames...) and checks that it equals the case decoded into a
// fresh Packet: Decode clears ARP and Frag only when the previous frame
// set IsARP or Frag.IsFragment, and this keeps that equivalent to
// clearing them always.
func TestDecodeResetsReusedPacket(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	cases := decodeCases()
	var kinds struct{ arp, frag, tunnel, anomaly bool }
	var reused Packet
	for _, prev := range cases {
		for _, tc := range cases {
			d.Decode(prev.data, prev.link, 1, len(prev.data), &reused)
			kinds.arp = kinds.arp || reused.IsARP
			kinds.frag = kinds.frag || reused.Frag.IsFragment
			kinds.tunnel = kinds.tunnel || reused.NumTunnels > 0
			kinds.anomaly = kinds.anomaly || reused.NumAnomalies > 0
			d.Decode(tc.data, tc.link, 2, len(tc.data), &reused)
			var fresh Packet
			d.Decode(tc.data, tc.link, 2, len(tc.data), &fresh)
			if diff := packetDiff(meaningful(&reused), meaningful(&fresh)); diff != "" {
				t.Fatalf("%s after %s: %s", tc.name, prev.name, diff)
			}
		}
	}
	if !kinds.arp || !kinds.frag || !kinds.tunnel || !kinds.anomaly {
		t.Errorf("cases lack a kind of frame: %+v", kinds)
	}
}

// meaningful returns a copy of p with the Tunnels and Anomalies entries
// beyond NumTunnels and NumAnomalies zeroed: those are never read, and
// Decode leaves them as they were.
func meaningful(p *Packet) *Packet {
	c := *p
	for i := int(c.NumTunnels); i < MaxTunnels; i++ {
		c.Tunnels[i] = Tunnel{}
	}
	for i := int(c.NumAnomalies); i < MaxAnomalies; i++ {
		c.Anomalies[i] = Anomaly{}
	}
	return &c
}
