package store

// Conn is a connection (conn.log) or a flow (NetFlow, IPFIX, sFlow): the
// Zeek conn fields, typed.
type Conn struct {
	TS          float64 `json:"ts"`
	UID         string  `json:"uid"`
	OrigH       string  `json:"id.orig_h"`
	OrigP       uint16  `json:"id.orig_p"`
	RespH       string  `json:"id.resp_h"`
	RespP       uint16  `json:"id.resp_p"`
	Proto       string  `json:"proto"`
	Service     string  `json:"service,omitempty"`
	Duration    float64 `json:"duration"`
	OrigBytes   int64   `json:"orig_bytes"`
	RespBytes   int64   `json:"resp_bytes"`
	State       string  `json:"conn_state,omitempty"`
	History     string  `json:"history,omitempty"`
	OrigPkts    int64   `json:"orig_pkts"`
	OrigIPBytes int64   `json:"orig_ip_bytes"`
	RespPkts    int64   `json:"resp_pkts"`
	RespIPBytes int64   `json:"resp_ip_bytes"`
	IPv         uint8   `json:"ip_version"`
	Run         int32   `json:"run"`
}

// Bytes is the connection's IP bytes both ways (payload bytes when the IP
// byte counts are missing).
func (c *Conn) Bytes() int64 {
	if b := sum(c.OrigIPBytes, c.RespIPBytes); b > 0 {
		return b
	}
	return sum(c.OrigBytes, c.RespBytes)
}

// DNS is one dns.log record.
type DNS struct {
	TS      float64 `json:"ts"`
	UID     string  `json:"uid"`
	OrigH   string  `json:"id.orig_h"`
	RespH   string  `json:"id.resp_h"`
	Query   string  `json:"query"`
	QType   string  `json:"qtype_name"`
	RCode   string  `json:"rcode_name"`
	Answers string  `json:"answers"`
	Run     int32   `json:"run"`
}

// HTTP is one http.log record.
type HTTP struct {
	TS        float64 `json:"ts"`
	UID       string  `json:"uid"`
	OrigH     string  `json:"id.orig_h"`
	RespH     string  `json:"id.resp_h"`
	RespP     uint16  `json:"id.resp_p"`
	Method    string  `json:"method"`
	Host      string  `json:"host"`
	URI       string  `json:"uri"`
	Status    int32   `json:"status_code"`
	UserAgent string  `json:"user_agent"`
	Run       int32   `json:"run"`
}

// SSL is one ssl.log record.
type SSL struct {
	TS          float64 `json:"ts"`
	UID         string  `json:"uid"`
	OrigH       string  `json:"id.orig_h"`
	RespH       string  `json:"id.resp_h"`
	RespP       uint16  `json:"id.resp_p"`
	Version     string  `json:"version"`
	ServerName  string  `json:"server_name"`
	Established bool    `json:"established"`
	JA3         string  `json:"ja3"`
	Run         int32   `json:"run"`
}

// Alert is one alert (alerts.log): key fields and the record as written.
type Alert struct {
	TS    float64  `json:"ts"`
	TSEnd float64  `json:"ts_end,omitempty"`
	UIDs  []string `json:"uids,omitempty"`
	Src   string   `json:"src"`
	Dst   string   `json:"dst"`
	// Dsts lists the targets of an alert about many (a spray, a
	// horizontal scan), which has no Dst.
	Dsts       []string `json:"dsts,omitempty"`
	Class      string   `json:"class"`
	Severity   int32    `json:"severity"`
	Confidence float64  `json:"confidence"`
	Detector   string   `json:"detector"`
	Summary    string   `json:"summary"`
	MITRE      []string `json:"mitre,omitempty"`
	JSON       string   `json:"-"`
	Run        int32    `json:"run"`
}

// Incident is one incident (incidents.log): key fields, the record, and
// the status an analyst gave it.
type Incident struct {
	ID        string   `json:"id"`
	First     float64  `json:"first_seen"`
	Last      float64  `json:"last_seen"`
	Attacker  string   `json:"attacker"`
	Victims   []string `json:"victims"`
	Classes   []string `json:"classes"`
	Stages    []string `json:"stages"`
	Severity  int32    `json:"severity"`
	Score     int32    `json:"score"`
	Alerts    int32    `json:"alerts"`
	Narrative string   `json:"narrative"`
	Status    string   `json:"status"`
	Note      string   `json:"note,omitempty"`
	JSON      string   `json:"-"`
	Run       int32    `json:"run"`
}

// Asset is one host of the inventory (assets.log): key fields and the
// record. Each ingest run reports its own view of a host; the store
// keeps one row per host and run and Reader.Assets merges them (the same
// MAC, or the same address when there is no MAC): first_seen the
// earliest, last_seen the latest, addresses, names, services and findings
// united, class, OS and device the most confident guess, traffic summed,
// JSON the latest run's record.
type Asset struct {
	Key         string   `json:"host"`
	Addrs       []string `json:"addrs"`
	MAC         string   `json:"mac,omitempty"`
	Vendor      string   `json:"vendor,omitempty"`
	Names       []string `json:"names,omitempty"`
	Class       string   `json:"class,omitempty"`
	OS          string   `json:"os,omitempty"`
	Device      string   `json:"device,omitempty"`
	Services    []string `json:"services,omitempty"` // "tcp/22 ssh"
	Findings    []string `json:"findings,omitempty"` // finding classes
	MaxSeverity int32    `json:"max_severity,omitempty"`
	FirstSeen   float64  `json:"first_seen"`
	LastSeen    float64  `json:"last_seen"`
	BytesSent   int64    `json:"bytes_sent"`
	BytesRecv   int64    `json:"bytes_recv"`
	JSON        string   `json:"-"`
	Run         int32    `json:"run"`
	// Runs is the number of ingest runs that reported the host (merged
	// listings).
	Runs int32 `json:"runs,omitempty"`
	// The confidence (0–1) of the class, OS and device guesses.
	ClassConf  float64 `json:"class_confidence,omitempty"`
	OSConf     float64 `json:"os_confidence,omitempty"`
	DeviceConf float64 `json:"device_confidence,omitempty"`
}

// Record is a record of any other log, kept as written.
type Record struct {
	Log  string  `json:"log"`
	TS   float64 `json:"ts"`
	UID  string  `json:"uid,omitempty"`
	JSON string  `json:"-"`
	Run  int32   `json:"run"`
}

// Traffic is a rollup row: one bucket's traffic of one proto/service/IP
// version (rows of one key add up).
type Traffic struct {
	Bucket  int64
	Proto   string
	Service string
	IPv     uint8
	Conns   int64
	Bytes   int64
	Pkts    int64
}

// Talker is a host's traffic in one hour (both directions).
type Talker struct {
	Bucket int64
	Host   string
	Bytes  int64
	Conns  int64
}

// Edge is the traffic from one host to another in one hour.
type Edge struct {
	Bucket   int64
	Src, Dst string
	Bytes    int64
	Conns    int64
}

// AlertCount is the number of alerts of one class and severity in a
// bucket.
type AlertCount struct {
	Bucket   int64
	Class    string
	Severity int32
	N        int64
}

// Batch is what one Append writes. Rollup rows belong to Run (rows carry
// their own run ids).
type Batch struct {
	Run       int32
	Conns     []Conn
	DNS       []DNS
	HTTP      []HTTP
	SSL       []SSL
	Alerts    []Alert
	Incidents []Incident
	Assets    []Asset
	Records   []Record

	Traffic1m, Traffic1h []Traffic
	Talkers1h            []Talker
	Edges1h              []Edge
	Alerts1m, Alerts1h   []AlertCount
}

// Rows returns the number of raw rows in the batch.
func (b *Batch) Rows() int {
	return len(b.Conns) + len(b.DNS) + len(b.HTTP) + len(b.SSL) + len(b.Alerts) +
		len(b.Incidents) + len(b.Assets) + len(b.Records)
}

// Reset empties the batch keeping its memory.
func (b *Batch) Reset() {
	b.Conns, b.DNS, b.HTTP, b.SSL = b.Conns[:0], b.DNS[:0], b.HTTP[:0], b.SSL[:0]
	b.Alerts, b.Incidents, b.Assets, b.Records = b.Alerts[:0], b.Incidents[:0], b.Assets[:0], b.Records[:0]
	b.Traffic1m, b.Traffic1h, b.Talkers1h, b.Edges1h = b.Traffic1m[:0], b.Traffic1h[:0], b.Talkers1h[:0], b.Edges1h[:0]
	b.Alerts1m, b.Alerts1h = b.Alerts1m[:0], b.Alerts1h[:0]
}

// IoTClasses are the device classes the IoT page lists (with any host that
// has an iot.* finding).
var IoTClasses = []string{"iot", "camera", "speaker", "smart-plug", "smart-bulb", "hub", "media",
	"ics", "plc", "voip", "printer", "nas", "game-console", "sensor", "thermostat", "tv"}
