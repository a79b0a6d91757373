package serve

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// runHost is what one run's assets.log says about a host.
type runHost struct {
	Host      string  `json:"host"`
	MAC       string  `json:"mac"`
	FirstSeen float64 `json:"first_seen"`
	LastSeen  float64 `json:"last_seen"`
	Services  []struct {
		Proto string `json:"proto"`
		Port  int    `json:"port"`
	} `json:"services"`
	Traffic struct {
		BytesSent int64 `json:"bytes_sent"`
		BytesRecv int64 `json:"bytes_recv"`
	} `json:"traffic"`
}

func readAssetsLog(t *testing.T, path string) []runHost {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []runHost
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var h runHost
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

// TestAssetsMergeAcrossRuns ingests two lab captures that share hosts
// (benign and mirai: the lab's servers, IoT devices and router) and
// requires the API to list each MAC once, with the earliest first_seen,
// the latest last_seen, the services of both runs and their traffic
// summed — checked against the two runs' own assets.log.
func TestAssetsMergeAcrossRuns(t *testing.T) {
	srv, ts := eveServer(t, true)
	for _, name := range []string{"benign.pcap", "mirai.pcap"} {
		if err := dropFile(t, srv, filepath.Join("..", "..", "testdata", "lab", name), name); err != nil {
			t.Fatal(err)
		}
	}
	type merged struct {
		first, last float64
		services    map[string]bool
		sent, recv  int64
		runs        int
	}
	want := map[string]*merged{}
	logs, _ := filepath.Glob(filepath.Join(srv.cfg.runs(), "*", "assets.log"))
	if len(logs) != 2 {
		t.Fatalf("run logs: %v", logs)
	}
	for _, l := range logs {
		for _, h := range readAssetsLog(t, l) {
			if h.MAC == "" {
				continue
			}
			m := want[h.MAC]
			if m == nil {
				m = &merged{first: h.FirstSeen, services: map[string]bool{}}
				want[h.MAC] = m
			}
			m.first, m.last = min(m.first, h.FirstSeen), max(m.last, h.LastSeen)
			for _, s := range h.Services {
				m.services[s.Proto+"/"+strconv.Itoa(s.Port)] = true
			}
			m.sent += h.Traffic.BytesSent
			m.recv += h.Traffic.BytesRecv
			m.runs++
		}
	}
	var assets struct {
		Items []struct {
			Host      string   `json:"host"`
			MAC       string   `json:"mac"`
			Addrs     []string `json:"addrs"`
			Services  []string `json:"services"`
			FirstSeen float64  `json:"first_seen"`
			LastSeen  float64  `json:"last_seen"`
			BytesSent int64    `json:"bytes_sent"`
			BytesRecv int64    `json:"bytes_recv"`
			Runs      int      `json:"runs"`
		} `json:"items"`
		Total int `json:"total"`
	}
	get(t, ts, "/api/v1/assets?limit=1000", srv.Tokens().Read, &assets)
	seen := map[string]bool{}
	both, withServices := 0, 0
	for _, a := range assets.Items {
		if a.MAC == "" {
			continue
		}
		if seen[a.MAC] {
			t.Errorf("MAC %s listed twice", a.MAC)
		}
		seen[a.MAC] = true
		w := want[a.MAC]
		if w == nil {
			t.Errorf("MAC %s in no run's assets.log", a.MAC)
			continue
		}
		var svc []string
		for _, s := range a.Services {
			pp, _, _ := strings.Cut(s, " ")
			svc = append(svc, pp)
		}
		var wsvc []string
		for s := range w.services {
			wsvc = append(wsvc, s)
		}
		sort.Strings(svc)
		sort.Strings(wsvc)
		if a.FirstSeen != w.first || a.LastSeen != w.last || a.BytesSent != w.sent || a.BytesRecv != w.recv ||
			a.Runs != w.runs || strings.Join(svc, ",") != strings.Join(wsvc, ",") {
			t.Errorf("%s (%v): first %.6f last %.6f sent %d recv %d runs %d services %v; want %.6f %.6f %d %d %d %v",
				a.MAC, a.Addrs, a.FirstSeen, a.LastSeen, a.BytesSent, a.BytesRecv, a.Runs, svc,
				w.first, w.last, w.sent, w.recv, w.runs, wsvc)
		}
		if w.runs == 2 {
			both++
			if len(w.services) > 0 {
				withServices++
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d MACs listed, the runs have %d", len(seen), len(want))
	}
	t.Logf("%d hosts with a MAC, %d in both runs (%d offering services)", len(seen), both, withServices)
	if both < 3 || withServices < 1 {
		t.Errorf("the two captures share %d hosts (%d with services): the test needs shared hosts", both, withServices)
	}
}
