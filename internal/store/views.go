package store

// Overview is the dashboard's first page over a time window.
type Overview struct {
	Range      Range          `json:"range"`
	Conns      int64          `json:"conns"`
	Bytes      int64          `json:"bytes"`
	Pkts       int64          `json:"packets"`
	IPv4Bytes  int64          `json:"ipv4_bytes"`
	IPv6Bytes  int64          `json:"ipv6_bytes"`
	Protocols  []NamedCount   `json:"protocols"` // bytes by transport
	Services   []NamedCount   `json:"services"`  // conns by service
	TopTalkers []TalkerView   `json:"top_talkers"`
	Series     []SeriesPoint  `json:"series"` // per step: conns, bytes
	Step       int64          `json:"step_s"`
	Alerts     int64          `json:"alerts"`
	BySeverity map[int]int64  `json:"alerts_by_severity"`
	ByClass    []NamedCount   `json:"alerts_by_class"`
	Incidents  int64          `json:"open_incidents"`
	Assets     int64          `json:"assets"`
	Extra      map[string]any `json:"extra,omitempty"`
}

// NamedCount is a name with a count (and bytes where it applies).
type NamedCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
	Bytes int64  `json:"bytes,omitempty"`
}

// TalkerView is one of the top talkers.
type TalkerView struct {
	Host  string `json:"host"`
	Bytes int64  `json:"bytes"`
	Conns int64  `json:"conns"`
}

// SeriesPoint is one step of a traffic series.
type SeriesPoint struct {
	TS     int64 `json:"ts"`
	Conns  int64 `json:"conns"`
	Bytes  int64 `json:"bytes"`
	Alerts int64 `json:"alerts"`
}

// MinuteStats is one minute of perception inputs for the situation model.
type MinuteStats struct {
	Bucket     int64    `json:"ts"`
	Conns      int64    `json:"conns"`
	Bytes      int64    `json:"bytes"`
	Pkts       int64    `json:"packets"`
	IPv6Bytes  int64    `json:"ipv6_bytes"`
	AlertsBySv [5]int64 `json:"alerts_by_severity"` // index 1..4
}

// AlertFilter selects alerts.
type AlertFilter struct {
	Range
	Paging
	Class       string // prefix match ("scan" matches scan.*)
	MaxSeverity int32  // 1..4; 0 means any
	Host        string // source or destination
	UIDs        []string
}

// IncidentFilter selects incidents.
type IncidentFilter struct {
	Range
	Paging
	Status      string // open, acknowledged, closed
	MaxSeverity int32
	Host        string // attacker or victim
}

// IncidentDetail is an incident with its alerts and evidence.
type IncidentDetail struct {
	Incident Incident         `json:"incident"`
	Raw      map[string]any   `json:"raw"`
	Alerts   []Alert          `json:"alerts"`
	Conns    []Conn           `json:"conns"`
	Records  []map[string]any `json:"records"`
	Sources  []string         `json:"sources"` // ingest sources (files) the evidence came from
}

// AssetFilter selects assets.
type AssetFilter struct {
	Paging
	Class   string // device class
	Finding string // finding class prefix ("iot" matches iot.*)
	Query   string // address, MAC, vendor or name substring
	IoT     bool   // only IoT/ICS devices or hosts with iot.* findings
}

// HostDetail is everything known about one address.
type HostDetail struct {
	Addr     string       `json:"addr"`
	Assets   []Asset      `json:"assets"`
	Raw      []any        `json:"raw_assets"`
	Bytes    int64        `json:"bytes"`
	Conns    int64        `json:"conns"`
	Peers    []TalkerView `json:"peers"`
	Services []NamedCount `json:"services"` // responder port/service it offers
	Alerts   []Alert      `json:"alerts"`
	Flows    []Conn       `json:"flows"`
	Names    []string     `json:"names"`
}

// FlowFilter selects connections and flows.
type FlowFilter struct {
	Range
	Paging
	Host  string
	Port  uint16 // either side
	Proto string
	UID   string
}

// RecordFilter selects records of a log (dns, http, ssl, or any other).
type RecordFilter struct {
	Range
	Paging
	Log  string
	UIDs []string
	Host string
}

// Graph is who talks to whom.
type Graph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
}

// GraphNode is a host in the graph.
type GraphNode struct {
	ID     string `json:"id"`
	Bytes  int64  `json:"bytes"`
	Class  string `json:"class,omitempty"`
	Alerts int64  `json:"alerts"`
}

// GraphEdge is traffic between two hosts; Attack marks pairs with alerts.
type GraphEdge struct {
	Src     string   `json:"src"`
	Dst     string   `json:"dst"`
	Bytes   int64    `json:"bytes"`
	Conns   int64    `json:"conns"`
	Attack  bool     `json:"attack"`
	Classes []string `json:"classes,omitempty"`
}

// TimelineItem is one event on the timeline.
type TimelineItem struct {
	TS       float64 `json:"ts"`
	End      float64 `json:"end,omitempty"`
	Kind     string  `json:"kind"` // alert, incident, run
	Title    string  `json:"title"`
	Severity int32   `json:"severity,omitempty"`
	Ref      string  `json:"ref,omitempty"`
	Src      string  `json:"src,omitempty"`
	Dst      string  `json:"dst,omitempty"`
}

// IPv6View is the IPv6 page.
type IPv6View struct {
	Summary map[string]any   `json:"summary"`
	Routers []map[string]any `json:"routers"`
	Hosts   []map[string]any `json:"hosts"`
	Tunnels []map[string]any `json:"tunnels"`
	Events  []map[string]any `json:"nd_events"`
	Alerts  []Alert          `json:"alerts"`
	Share   float64          `json:"ipv6_share_bytes"`
}

// SearchResult is what a search found.
type SearchResult struct {
	Query     string     `json:"query"`
	Hosts     []string   `json:"hosts"`
	Assets    []Asset    `json:"assets"`
	Alerts    []Alert    `json:"alerts"`
	Incidents []Incident `json:"incidents"`
	Conns     []Conn     `json:"conns"`
	Names     []DNS      `json:"dns"`
}

// SituationPoint is one step of the situation series.
type SituationPoint struct {
	TS         int64              `json:"ts"`
	Index      float64            `json:"index"`
	Components map[string]float64 `json:"components"`
	Alerts     int64              `json:"alerts"`
	Conns      int64              `json:"conns"`
	Bytes      int64              `json:"bytes"`
}
