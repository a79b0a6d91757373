// Package dga detects hosts looking up algorithmically generated domains
// (class dns.dga), as malware does to find its command-and-control server.
//
// Each dns.log query's registered label ("example" of www.example.co.uk) is
// scored by a character model (model.go): logistic regression over hashed
// character 1–4-grams (16384 buckets) plus dense features — the label's
// log-likelihood under a character trigram model of benign labels (mean,
// total, lowest, share of rare characters), shape values (length,
// entropy, digit and vowel shares, consonant and vowel runs, distinct
// characters, digit–letter switches, hyphen, share of rare letters such as
// q and x, share of consonant–vowel alternations) and its cheapest
// segmentation into the words of a lexicon (lexicon.go: share of letters
// in words, words, mean and longest word, longest run of letters in none,
// share of words of three letters or fewer) — whose log-odds two sets of
// 100 boosted trees of depth 3 (boost.go) then correct from the dense
// features. Scoring allocates nothing (about 1.5 µs a label on a loaded
// two-core machine) and results are cached. The model ships as model.json
// (960 kB, most of it the lexicon: Debian's wamerican), built by
// `go run ./internal/detect/dga/train` (package dgatrain) from Debian word
// lists, IEEE vendor names, Public Suffix List names and Vigil's own
// generators, no test-corpus data.
//
// Measured on the andrewaeva-dga corpus against benign names it was not
// trained on: the shipped model, every family held back, pooled AUC 0.975
// (TestHeldBackAUC; 0.954 before the lexicon and trees); leave-one-family-
// out, models trained at test time on the other families, mean AUC 0.971
// over nine folds (TestFamilyHoldOut; 0.948 before the lexicon and trees)
// — random-character families 0.99, the word-list families matsnu 0.99 and
// rovnix 0.94, conficker 0.94, pushdo 0.91. That meets the 0.97,
// but only just: over five seeds of the generators the mean is 0.9707,
// and single seeds range from 0.969 to 0.972.
//
// A client that looks up MinDomains distinct domains scoring at least
// Threshold within Window, at least MinNXShare of them unanswered
// (NXDOMAIN: most generated domains are not registered), is reported.
//
// State: one entry per client with a suspicious lookup (MaxClients, the
// longest-idle dropped past it), each with at most 256 domains.
package dga

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the DGA thresholds.
type Config struct {
	Enabled    bool    `json:"enabled"`
	Threshold  float64 `json:"threshold"`
	MinDomains int     `json:"min_domains"`
	MinNXShare float64 `json:"min_nxdomain_share"`
	Window     float64 `json:"window_s"`
	Idle       float64 `json:"idle_s"`
	MaxClients int     `json:"max_clients"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Enabled: true, Threshold: 0.99, MinDomains: 10, MinNXShare: 0.5, Window: 600, Idle: 900, MaxClients: 100_000}
}

type client struct {
	addr        netip.Addr
	first, last float64
	domains     map[string]float64 // registered domain → score
	nx          map[string]bool
	server      netip.Addr
	uids        alert.UIDs
	alerted     bool
}

// Detector is the DGA detector.
type Detector struct {
	cfg     Config
	model   *Model
	clients map[netip.Addr]*client
	scored  map[string]float64 // cache of label scores
	names   *domain.Names[name]
}

// name is what Handle derives from one query name: its registered domain
// and its label's score (kept per name: see domain.Names).
type name struct {
	skip  bool // a reverse lookup or a label the model does not judge
	reg   string
	score float64
}

// New returns a DGA detector with the embedded model.
func New(cfg Config) (*Detector, error) {
	m, err := Default()
	if err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, model: m, clients: map[netip.Addr]*client{}, scored: map[string]float64{}}
	d.names = domain.NewNames(d.derive)
	return d, nil
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "dga" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"dns"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	n, ok := d.names.Of(r)
	if !ok || n.skip || n.score < d.cfg.Threshold {
		return
	}
	// The few connection fields wanted are read alone: r.Conn() would
	// decode every field of the record.
	ts, uid := r.TS(), r.Bytes("uid")
	cl := d.client(r.Addr("id.orig_h"), ts)
	cl.first, cl.last = min(cl.first, ts), max(cl.last, ts)
	cl.server = r.Addr("id.resp_h")
	if len(cl.domains) < 256 {
		cl.domains[n.reg] = n.score
	}
	// Unanswered names are counted among the kept domains only: nx stays
	// a subset of domains, bounded with it.
	if _, kept := cl.domains[n.reg]; kept && string(r.Bytes("rcode_name")) == "NXDOMAIN" {
		cl.nx[n.reg] = true
	}
	cl.uids.Add(ts, uid)
	if !cl.alerted && d.crossed(cl) {
		cl.alerted = true
		emit(d.alert(cl))
	}
}

// derive scores a query name's label (Label).
func (d *Detector) derive(q string) name {
	if q == "" || domain.Reverse(q) {
		return name{skip: true}
	}
	reg, _ := domain.Registered(domain.Normalize(q))
	label := firstLabel(reg)
	if Skip(label) {
		return name{skip: true}
	}
	score, ok := d.scored[label]
	if !ok {
		score = d.model.Score(label)
		if len(d.scored) > 200_000 {
			clear(d.scored)
		}
		d.scored[label] = score
	}
	return name{reg: reg, score: score}
}

func (d *Detector) crossed(cl *client) bool {
	n := len(cl.domains)
	return n >= d.cfg.MinDomains && float64(len(cl.nx)) >= d.cfg.MinNXShare*float64(n)
}

func (d *Detector) client(a netip.Addr, ts float64) *client {
	cl := d.clients[a]
	if cl != nil && (cl.alerted || ts-cl.first <= d.cfg.Window) {
		return cl
	}
	if cl == nil && len(d.clients) >= d.cfg.MaxClients {
		for k := range d.clients { // an arbitrary tenth goes
			delete(d.clients, k)
			if len(d.clients) < d.cfg.MaxClients*9/10 {
				break
			}
		}
	}
	cl = &client{addr: a, first: ts, last: ts, domains: map[string]float64{}, nx: map[string]bool{}}
	d.clients[a] = cl
	return cl
}

// Flush implements detect.Detector.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	for k, cl := range d.clients {
		if now-cl.last > d.cfg.Idle {
			if cl.alerted {
				emit(d.alert(cl))
			}
			delete(d.clients, k)
		}
	}
}

func (d *Detector) alert(cl *client) alert.Alert {
	names := alert.SortedKeys(cl.domains)
	sort.SliceStable(names, func(i, j int) bool { return cl.domains[names[i]] > cl.domains[names[j]] })
	examples := names[:min(5, len(names))]
	act := fmt.Sprintf("looked up %d algorithmically generated-looking domains (%d unanswered), e.g. %s", len(names), len(cl.nx), examples[0])
	return alert.Alert{
		TS: cl.first, TSEnd: cl.last, UIDs: cl.uids.List(), Src: cl.addr.String(), Dst: alert.AddrString(cl.server),
		Class: "dns.dga", Confidence: min(1, 0.5+0.05*float64(len(names))), Act: act,
		Summary: fmt.Sprintf("%s %s between %s and %s.", cl.addr, act, alert.Clock(cl.first), alert.Clock(cl.last)),
		Evidence: map[string]any{"domains": len(names), "nxdomain": len(cl.nx), "examples": examples,
			"threshold_score": d.cfg.Threshold, "threshold_domains": d.cfg.MinDomains, "window_s": d.cfg.Window},
		Detector: "dga",
	}
}
