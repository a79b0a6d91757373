// Package detect is Vigil's detection engine: behaviour detectors fed with
// the records the pipeline writes (conn.log, dns.log, http.log … and packet
// facts such as "_arp"), threat-intelligence matching, alert aggregation,
// alerts.log and an EVE (Suricata eve.json) export, and incidents.log.
//
// Shape: Config (DefaultConfig, LoadConfig), New(cfg, Output), then Record
// for every log line, Flush from time to time when streaming, and Close.
//
//	eng, err := detect.New(detect.DefaultConfig(), detect.Output{Dir: out})
//	eng.Record("conn", line) // one JSON object, no newline
//	err = eng.Close()        // ends episodes, writes alerts and incidents
//
// Detectors (one package each under internal/detect/NAME) implement
// Detector and are listed in the registry (registry.go): a detector
// subscribes to logs by name and only records of those logs are parsed.
// Record is called from one goroutine. Each record is parsed once (package
// rec: a field index without allocation) and handed to the detectors
// subscribed to its log.
//
// Time is record time: the engine's clock is the newest record timestamp
// seen, and every FlushEvery seconds of it the detectors flush (episodes end,
// state expires). Records may come late (conn records come when
// connections end, with their start time): detectors keep episodes open
// for minutes after their last record.
//
// State: the detectors whose memory spans hours or days (Persistent:
// beacon, exfil, the scan detector's slow tier, longconn) save it into one
// versioned file (Output.State; state.go), loaded by New and saved at
// Close and, in a live run, periodically, so that a sensor's restart does
// not forget a slow beacon's check-ins or the hosts' upload baselines.
//
// Alerts of one episode — the same class, source, destination and domain —
// are merged into one alert with counts (Alert.Count, first and last time),
// written when the episode has been quiet for Aggregate.Quiet seconds, has
// been open for Aggregate.MaxOpen seconds, or at Close.
package detect

import (
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Detector is one behaviour detector.
type Detector interface {
	// Name is the detector's name in the configuration and in alerts.
	Name() string
	// Logs lists the logs the detector reads ("conn", "dns", "_arp" …).
	Logs() []string
	// Handle reads one record; r is valid during the call only.
	Handle(r *rec.Rec, emit alert.Emit)
	// Flush ends what is over at record time now (epoch seconds);
	// math.Inf(1) ends everything (the engine's Close).
	Flush(now float64, emit alert.Emit)
}

// Refresher is a Detector that reports an alerted episode again while it
// grows: the engine sets the period to half its aggregate.quiet_s, so
// that an episode it writes once quiet carries the numbers the behaviour
// reached (a live run's 60 s would otherwise write the numbers of the
// threshold crossing, and the detector's end report a second alert).
// Periods not shorter than the detector's report_s change nothing.
type Refresher interface {
	SetRefresh(period float64)
}

// NameSharer is a Detector of DNS query names: the engine hands all such
// detectors one domain.Names, so that each record's query name is looked
// up and checked once, not once by each.
type NameSharer interface {
	ShareNames(names *domain.Names)
}

// Reporter is a Detector that has problems to report that are not alerts
// (a threat-intelligence feed that failed to reload): the engine's Stats
// carries them, and the run summary prints them.
type Reporter interface {
	Problems() []string
}

// Alert is the alert record (re-exported for callers of Eval).
type Alert = alert.Alert
