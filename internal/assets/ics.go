package assets

import (
	"net/netip"
)

// ICS writes: each Modbus, DNP3 or BACnet device learns its usual
// masters — the first host that sent it requests, those that did within
// Config.ICSLearn of it, and Config.ICSMasters. A write (ics_writes
// rules) from any other host raises ics_write_new_writer, with the new
// writer's record and the master's first one as evidence.

type icsKey struct {
	log    string
	device netip.Addr
}

type icsDevice struct {
	first   float64
	masters map[netip.Addr]Evidence // first request of each usual master
}

const maxMastersPerDevice = 64

// icsRequest learns masters from requests and judges writes.
func (inv *Inventory) icsRequest(log string, r *iotRec, o obs) {
	for _, rule := range inv.rules.icsWrites[log] {
		if rule.RequestField != "" && r.get(rule.RequestField) != rule.RequestValue {
			continue
		}
		op := r.get(rule.Field)
		if op == "" {
			continue
		}
		writer, device := r.side(rule.Writer), r.side(rule.Target)
		if !writer.IsValid() || !device.IsValid() || device.IsMulticast() {
			continue
		}
		o.key, o.value, o.field = "ics.request", op, rule.Field
		master := inv.learnMaster(icsKey{log, device}, writer, &o)
		switch {
		case !master && contains(rule.Values, op) && !inv.configuredMaster(writer):
			inv.raiseNewWriter(icsKey{log, device}, writer, op, o, rule.ID)
		case contains(rule.Control, op):
			o.key = "ics.control"
			o.with("writer", writer.String())
			inv.raise("ics_control_command", target{addr: device}, &o, writer.String()+" "+op, rule.ID)
		}
	}
}

// learnMaster records a request from writer to the device and reports
// whether writer is one of its usual masters.
func (inv *Inventory) learnMaster(k icsKey, writer netip.Addr, o *obs) bool {
	d := inv.ics[k]
	if d == nil {
		if len(inv.ics) >= maxICS {
			return true // past the bound nothing is judged
		}
		d = &icsDevice{first: o.ts, masters: map[netip.Addr]Evidence{}}
		inv.ics[k] = d
	}
	if _, ok := d.masters[writer]; ok {
		return true
	}
	learning := len(d.masters) == 0 || o.ts-d.first <= inv.cfg.ICSLearn.Seconds()
	if (learning || inv.configuredMaster(writer)) && len(d.masters) < maxMastersPerDevice {
		d.masters[writer] = o.evidence("", 0)
		return true
	}
	return false
}

func (inv *Inventory) configuredMaster(a netip.Addr) bool {
	for _, p := range inv.icsMasters {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// raiseNewWriter raises the finding about the device, with the write
// and the first request of its earliest master.
func (inv *Inventory) raiseNewWriter(k icsKey, writer netip.Addr, op string, o obs, rule string) {
	o.key, o.value = "ics.write", op
	o.with("writer", writer.String())
	key := writer.String()
	inv.raise("ics_write_new_writer", target{addr: k.device}, &o, key, rule)
	f := inv.findings[findingKey("ics_write_new_writer", target{addr: k.device}, &o, key)]
	if f == nil || len(f.Evidence) >= inv.cfg.MaxEvidence {
		return
	}
	if m, ok := inv.earliestMaster(k); ok && !hasEvidence(f.Evidence, m) {
		m.Detail = m.Detail.with("role", "usual master's first request")
		f.Evidence = append(f.Evidence, m)
		inv.recurred(f, &o) // its alert shows the master too
	}
}

func (inv *Inventory) earliestMaster(k icsKey) (Evidence, bool) {
	d := inv.ics[k]
	if d == nil {
		return Evidence{}, false
	}
	var best Evidence
	found := false
	for _, ev := range d.masters {
		if !found || ev.TS < best.TS {
			best, found = ev, true
		}
	}
	return best, found
}

func hasEvidence(list []Evidence, e Evidence) bool {
	for _, x := range list {
		if x.Log == e.Log && x.UID == e.UID && x.TS == e.TS {
			return true
		}
	}
	return false
}
