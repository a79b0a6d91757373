package detect

import (
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/bruteforce"
	"github.com/vigil-nsm/vigil/internal/detect/kerberoast"
	"github.com/vigil-nsm/vigil/internal/detect/scan"
	"reflect"
	"strings"
	"testing"
)

// stateSkip are fields of detector state that are configuration or shared
// with the engine, not state grown by records, or pointers to state walked
// under its own path (an alert.Schedule's entries: "watched").
var stateSkip = map[string]bool{"cfg": true, "internal": true, "model": true, "feeds": true, "watched": true}

// stateSizes returns, for each path of a map or slice in d's state
// ("victims", "victims[].sources.m"), the largest length found there.
// Only types of this module are walked into; each pointer once.
func stateSizes(d Detector) map[string]int {
	sizes := map[string]int{}
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem(), path)
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			if !strings.HasPrefix(v.Type().PkgPath(), "github.com/vigil-nsm/vigil/") {
				return
			}
			for i := range v.NumField() {
				if name := v.Type().Field(i).Name; !stateSkip[name] {
					walk(v.Field(i), strings.TrimPrefix(path+"."+name, "."))
				}
			}
		case reflect.Map:
			sizes[path] = max(sizes[path], v.Len())
			for it := v.MapRange(); it.Next(); {
				walk(it.Value(), path+"[]")
			}
		case reflect.Slice:
			sizes[path] = max(sizes[path], v.Len())
			for i := range v.Len() {
				walk(v.Index(i), path+"[]")
			}
		}
	}
	walk(reflect.ValueOf(d), "")
	return sizes
}

// config marks state that configuration fills, not records.
const config = -1

// stateBounds is the most entries each map or list of detector state
// (detector name, path as stateSizes writes it) may hold under c.
func stateBounds(c *Config) map[string]int {
	uids := alert.MaxUIDs
	// A schedule holds at most one entry past twice its map's bound and 64
	// (alert.Schedule.Watch); Flush empties its list of things to schedule
	// again.
	schedule := func(n int) int { return 2*n + 65 }
	bounds := map[string]int{
		"bruteforce due.heap": schedule(c.BruteForce.MaxPairs), "bruteforce due.later": 0,
		"dnstunnel due.heap": schedule(c.DNSTunnel.MaxDomains), "dnstunnel due.later": 0,
		"flood due.heap": schedule(c.Flood.MaxVictims), "flood due.later": 0,
		"scan due.heap": schedule(c.Scan.MaxEntries), "scan due.later": 0,
		"webscan due.heap": schedule(c.WebScan.MaxTargets), "webscan due.later": 0,
		"webscan targets": c.WebScan.MaxTargets, "webscan targets[].found": 10, "webscan targets[].uids.list": uids, "webscan suspects": c.WebScan.MaxTargets, "webscan clients": 2 * c.WebScan.MaxTargets,
		"webscan vdue.heap": schedule(c.WebScan.MaxTargets), "webscan vdue.later": 0, "webscan vsuspects": c.WebScan.MaxTargets,
		"webscan vtargets": c.WebScan.MaxTargets, "webscan vtargets[].odd": 16, "webscan vtargets[].uids.list": uids,
		"scan slowDue.heap": schedule(c.Scan.MaxEntries), "scan slowDue.later": 0,

		"wstunnel reported":  c.WSTunnel.MaxPairs,
		"kerberoast clients": c.Kerberoast.MaxClients, "kerberoast clients[].services": kerberoast.MaxServices,
		"kerberoast clients[].accounts": 4, "kerberoast clients[].ciphers": 4, "kerberoast clients[].uids.list": uids,
		"kerberoast asrep": c.Kerberoast.MaxClients, "kerberoast asrep[].services": kerberoast.MaxServices,
		"kerberoast asrep[].accounts": 4, "kerberoast asrep[].ciphers": 4, "kerberoast asrep[].uids.list": uids,

		"arpspoof bindings": c.ARPSpoof.MaxBindings, "arpspoof bindings[].victims": alert.MaxDsts, "arpspoof bindings[].ownerVictims": alert.MaxDsts, "arpspoof bindings[].claims": 16,
		"arpspoof macs": c.ARPSpoof.MaxBindings, "arpspoof macs[].claims": 8,

		"beacon pairs": c.Beacon.MaxPairs, "beacon candidates": c.Beacon.MaxPairs,
		"beacon singles": c.Beacon.MaxPairs, "beacon singleQ": 2 * max(c.Beacon.MaxPairs, 1024),
		"beacon singleArr":  0, // singleQ's array, kept at length 0
		"beacon pairs[].ts": c.Beacon.MaxConns, "beacon pairs[].sizes": c.Beacon.MaxConns, "beacon pairs[].scoring.uids": 5,
		"beacon candidates[].ts": c.Beacon.MaxConns, "beacon candidates[].sizes": c.Beacon.MaxConns,
		"beacon candidates[].scoring.uids": 5, "beacon pending": 100_000, "beacon pending[]": 100_000,
		"beacon order": 100_000, "beacon recent": 100_000, "beacon recentQ": 100_000,
		"beacon names": 100_000, "beacon namesQ": 100_000, "beacon nameIntern": 100_000, "beacon held": 100_000, "beacon heldQ": 100_000,

		"bruteforce pairs": c.BruteForce.MaxPairs, "bruteforce pairs[].uids.list": uids, "bruteforce pairs[].users": 64, "bruteforce pairs[].passwords": bruteforce.MaxPasswords, "bruteforce formPending": bruteforce.MaxFormPending,
		"bruteforce pairs[].challenges": 64, "bruteforce pairs[].servers": bruteforce.MaxSprayServers, "bruteforce pairs[].loggedIn": bruteforce.MaxLoggedIn,

		"dga clients": c.DGA.MaxClients, "dga clients[].domains": 256, "dga clients[].nx": 256,
		"dga clients[].uids.list": uids, "dga clients[].resolved": 8, "dga clients[].resolved[]": 4, "dga names.shared.known": 100_000, "dga scored": 200_001,

		"dnstunnel allow": config, "dnstunnel domains": c.DNSTunnel.MaxDomains,
		"dnstunnel domains[].subs": c.DNSTunnel.MaxUnique, "dnstunnel domains[].clients.rest": 256,
		"dnstunnel domains[].servers.rest": 256, "dnstunnel domains[].qtypes.rest": 16, "dnstunnel domains[].sample": 3,
		"dnstunnel domains[].uids.list": uids, "dnstunnel names.shared.known": 100_000,
		"dnstunnel slow": c.DNSTunnel.MaxDomains, "dnstunnel spread": c.DNSTunnel.MaxDomains,

		"exfil hosts": c.Exfil.MaxHosts, "exfil open": c.Exfil.MaxHosts, "exfil hosts[].dests": 1025, "exfil hosts[].dests[].uids.list": uids,
		"exfil hosts[].days": 32, "exfil hosts[].days[].uids.list": uids, "exfil hosts[].routine": 8,

		"flood link.addrMACs": c.Flood.MaxVictims, "flood link.macAddrs": c.Flood.MaxVictims,
		"flood held": 1024, "flood victims": c.Flood.MaxVictims, "flood victims[].sources.rest": c.Flood.MaxSources,
		"flood victims[].senders.rest": 16, "flood victims[].ports.rest": 256, "flood victims[].uids.list": uids,

		"longconn ignore": config, "longconn pairs": c.LongConn.MaxPairs, "longconn open": c.LongConn.MaxPairs, "longconn pairs[].uids.list": uids,

		"mirai users": config, "mirai passwords": config, "mirai held": 4096, "mirai held[]": 16,
		"mirai scanners": c.Mirai.MaxSources, "mirai scanners[].targets": c.Mirai.MaxTargets,
		"mirai scanners[].ports": 1 << 16, "mirai logins": 8192,

		"scan sources": c.Scan.MaxEntries, "scan sources[].probes": c.Scan.MaxEntries,
		"scan sources[].hosts": c.Scan.MaxEntries, "scan sources[].ports": c.Scan.MaxEntries,
		"scan sources[].uids.list": uids, "scan sources[].talks": c.Scan.MaxEntries,
		"scan sources[].talkP": c.Scan.MaxEntries, "scan sources[].talkH": c.Scan.MaxEntries,
		"scan sources[].nets": c.Scan.MaxEntries, "scan sources[].netsH": c.Scan.MaxEntries,
		"scan slow": c.Scan.MaxEntries, "scan slow[].probes": scan.SlowCap, "scan slow[].uids.list": uids,
		"scan lone": c.Scan.MaxEntries, "scan loneOrder": 4*c.Scan.MaxEntries + 1024, // its tidying's bound (lone.go)

		"ics episodes": c.ICS.MaxEpisodes, "ics episodes[].uids": uids, "ics episodes[].cmd.mitre": config, "ics pending": 4096,

		"tls certs": c.TLS.MaxCerts, "tls order": c.TLS.MaxCerts, "tls certs[].problems": 3,
		"tls waiting": c.TLS.MaxCerts, "tls waitList": c.TLS.MaxCerts, "tls waiting[]": 16,
		"tls ja3": config, "tls ja4": config,
	}
	// An alert.UIDs keeps its long uids beside its list, as many at most.
	for path, n := range bounds {
		if list, ok := strings.CutSuffix(path, ".uids.list"); ok {
			bounds[list+".uids.long"] = n
		}
	}
	return bounds
}

// checkStateBounds fails when some map or list of a detector's state is
// over its bound (stateBounds) or has none.
func checkStateBounds(t *testing.T, e *Engine) {
	t.Helper()
	bounds := stateBounds(&e.cfg)
	for _, d := range e.detectors {
		for path, n := range stateSizes(d) {
			key := d.Name() + " " + path
			bound, ok := bounds[key]
			switch {
			case !ok:
				t.Fatalf("%s: %d entries, and no bound in stateBounds", key, n)
			case bound != config && n > bound:
				t.Fatalf("%s: %d entries, over the bound %d", key, n, bound)
			}
		}
	}
}
