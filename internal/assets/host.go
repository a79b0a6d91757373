package assets

// Host is one device of the inventory as assets.log holds it: keyed by
// its MAC when one is known, else by its address.
type Host struct {
	Key       string        `json:"host"` // the MAC, or the address when no MAC is known
	MAC       string        `json:"mac,omitempty"`
	Vendor    string        `json:"vendor,omitempty"`     // IEEE registry organisation of the MAC
	RandomMAC bool          `json:"random_mac,omitempty"` // locally administered (randomised) MAC
	Gateway   bool          `json:"gateway,omitempty"`    // the MAC routes many addresses
	FirstSeen float64       `json:"first_seen"`
	LastSeen  float64       `json:"last_seen"`
	Addrs     []Addr        `json:"addrs,omitempty"`
	Names     []Name        `json:"names,omitempty"`
	OS        *Guess        `json:"os,omitempty"`
	Class     *Guess        `json:"class,omitempty"`
	Device    *Guess        `json:"device,omitempty"` // product or model, when a rule names one
	Roles     []Role        `json:"roles,omitempty"`
	Services  []Service     `json:"services,omitempty"` // offered
	Used      []Used        `json:"used,omitempty"`     // top services used
	Traffic   Traffic       `json:"traffic"`
	Findings  []HostFinding `json:"findings,omitempty"`
}

// Addr is an address bound to the host.
type Addr struct {
	Addr   string  `json:"addr"`
	First  float64 `json:"first"`
	Last   float64 `json:"last"`
	Source string  `json:"source,omitempty"` // dhcp, arp, nd, l2 (conn/SYN link-layer address), or "" (IP only)
}

// Name is a name the host goes by, with where it was learnt: dhcp,
// dhcp-fqdn, mdns, mdns-service, llmnr, nbns, dns, dns-ptr, tls-cert,
// smtp-helo.
type Name struct {
	Name   string  `json:"name"`
	Source string  `json:"source"`
	First  float64 `json:"first"`
	Last   float64 `json:"last"`
	Log    string  `json:"log,omitempty"`
	UID    string  `json:"uid,omitempty"`
}

// Guess is the inventory's best answer to a question (OS, class,
// device) with how sure it is, why, and the runners-up.
type Guess struct {
	Value        string        `json:"value"`
	Confidence   float64       `json:"confidence"`
	Evidence     []Evidence    `json:"evidence"`
	Alternatives []Alternative `json:"alternatives,omitempty"`
}

// Alternative is a runner-up answer.
type Alternative struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence"`
}

// Evidence names one record behind a guess or a finding: the log, the
// connection uid (when the record has one), its time, the rule that
// fired and the field value it fired on, and other field values that
// matter.
type Evidence struct {
	Log        string  `json:"log"`
	UID        string  `json:"uid,omitempty"`
	TS         float64 `json:"ts"`
	Rule       string  `json:"rule,omitempty"`
	Field      string  `json:"field,omitempty"`
	Value      string  `json:"value,omitempty"`
	Detail     Detail  `json:"detail,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
}

// Role is a part the host plays (mqtt broker, modbus server, dhcp
// server, router …).
type Role struct {
	Role       string     `json:"role"`
	Confidence float64    `json:"confidence"`
	Evidence   []Evidence `json:"evidence"`
}

// Service is a service the host offers: a port that answered.
type Service struct {
	Proto    string `json:"proto"`
	Port     uint16 `json:"port"`
	Name     string `json:"service,omitempty"`  // conn.log service, or a rule's name for the port
	Software string `json:"software,omitempty"` // product from a banner
	Version  string `json:"version,omitempty"`
	Banner   string `json:"banner,omitempty"` // the banner as sent (SSH, HTTP Server, SSDP …)
	// TLS: the server certificate's subject, issuer and expiry, and the
	// protocol versions the server chose.
	CertSubject  string   `json:"cert_subject,omitempty"`
	CertIssuer   string   `json:"cert_issuer,omitempty"`
	CertNotAfter float64  `json:"cert_not_after,omitempty"`
	TLSVersions  []string `json:"tls_versions,omitempty"`
	First        float64  `json:"first"`
	Last         float64  `json:"last"`
	Conns        uint64   `json:"conns"`
	Clients      int      `json:"clients"` // distinct clients (counted up to 1000)
}

// Used is an endpoint the host connects to, by TLS SNI or HTTP Host when
// known, else by address.
type Used struct {
	Name     string  `json:"name"`
	Addr     string  `json:"addr,omitempty"`
	Proto    string  `json:"proto,omitempty"`
	Port     uint16  `json:"port,omitempty"`
	Service  string  `json:"service,omitempty"`
	External bool    `json:"external"`
	Conns    uint64  `json:"conns"`
	BytesOut uint64  `json:"bytes_out"`
	BytesIn  uint64  `json:"bytes_in"`
	First    float64 `json:"first"`
	Last     float64 `json:"last"`
}

// Traffic is the host's volume over the connections it took part in
// (IP bytes, as conn.log's orig_ip_bytes / resp_ip_bytes).
type Traffic struct {
	ConnsOut  uint64 `json:"conns_out"` // connections it originated
	ConnsIn   uint64 `json:"conns_in"`  // connections it answered or received
	BytesSent uint64 `json:"bytes_sent"`
	BytesRecv uint64 `json:"bytes_recv"`
	PktsSent  uint64 `json:"pkts_sent"`
	PktsRecv  uint64 `json:"pkts_recv"`
}

// HostFinding is a finding as listed under its host.
type HostFinding struct {
	Kind     string `json:"kind"`
	Class    string `json:"class"`
	Severity int    `json:"severity"`
	Summary  string `json:"summary"`
	Count    uint64 `json:"count"`
}
