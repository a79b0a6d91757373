// Package proto is the application-layer contract: analyzers that turn a
// connection's bytes into protocol records (dns.log, http.log, ssl.log …),
// and the registry that picks an analyzer by content, not only by port.
//
// The flow stage owns connections. For each connection it hands an
// Analyzer the bytes in order: for TCP the reassembled stream of each side
// (with Gap for bytes never seen), for UDP one datagram per call. An
// Analyzer keeps bounded state (each documents its bounds), never panics on
// malformed input, and writes records through a Sink. Data passed to an
// Analyzer is only valid during the call: copy what you keep.
//
// One package per protocol lives under internal/proto/NAME; each registers
// a Factory in the registry (see Register) from an init function.
package proto

import (
	"net/netip"
	"slices"
	"sort"
	"sync"

	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Direction says which side of the connection sent the bytes.
type Direction uint8

const (
	FromOrig Direction = 0 // the originator (Zeek's "orig")
	FromResp Direction = 1 // the responder
)

// ConnInfo identifies the connection an analyzer works for; its fields go
// into every record (Zeek's uid and id.* fields).
type ConnInfo struct {
	UID          string
	TS           int64 // the connection's first packet, Unix ns
	OrigH, RespH netip.Addr
	OrigP, RespP uint16
	Transport    uint8 // 6 (TCP) or 17 (UDP)
	// Proxied says the connection goes through a proxy that an HTTP
	// CONNECT or a SOCKS request opened: RespH is the proxy, not the
	// server the protocol inside talks to.
	Proxied bool
	// Shared is the run's cross-connection state (nil in unit tests: it
	// then remembers nothing).
	Shared *Shared

	// id and idFlipped are the connection's uid and id.* fields as JSON,
	// made for its first record (AppendConnHeaderRoles) and reused.
	id, idFlipped []byte
}

// Renew makes ci describe the connection next, keeping the room of ci's
// formatted uid and id.* fields for next's (the application layer reuses
// one ConnInfo for the connections it analyses one after another).
func (ci *ConnInfo) Renew(next ConnInfo) {
	id, idFlipped := ci.id[:0], ci.idFlipped[:0]
	*ci = next
	ci.id, ci.idFlipped = id, idFlipped
}

// Shared is state that one run's analyzers share across connections and
// workers, such as Zeek's once-a-day certificate logging. It is safe for
// concurrent use and bounded.
type Shared struct {
	// Local is what the site calls local (netset.ZeekLocal), set before
	// the run starts and only read after; nil is Zeek's default, the
	// private address space alone.
	Local *netset.Set

	mu    sync.Mutex
	seen  map[string]int64
	order []string
}

// zeekPrivate is what Zeek calls local when the site names nothing.
var zeekPrivate = netset.MustParse(netset.ZeekPrivate...)

// IsLocal reports whether a is local to the site (Zeek's
// Site::is_local_addr), as ssh.log's direction says it. s may be nil.
func (s *Shared) IsLocal(a netip.Addr) bool {
	if s == nil || s.Local == nil {
		return zeekPrivate.Contains(a.Unmap())
	}
	return s.Local.Contains(a.Unmap())
}

// maxShared bounds the keys Shared remembers (oldest forgotten first).
const maxShared = 10000

// NewShared returns empty shared state for one run.
func NewShared() *Shared { return &Shared{seen: map[string]int64{}} }

// Recent reports whether key was marked less than window nanoseconds
// before ts; otherwise it marks key at ts and reports false.
func (s *Shared) Recent(key string, ts, window int64) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.seen[key]
	if ok && ts >= last && ts-last < window {
		return true
	}
	if !ok {
		if len(s.order) >= maxShared {
			delete(s.seen, s.order[0])
			s.order = s.order[1:]
		}
		s.order = append(s.order, key)
	}
	s.seen[key] = ts
	return false
}

// OnceSink is a Sink that can log a record at most once per key within
// window nanoseconds of record time (Zeek's once-a-day x509.log records),
// deciding in the run's record order, so that the result does not depend
// on which worker saw a key first. Analyzers fall back on Shared.Recent
// when their Sink is not one.
type OnceSink interface {
	Sink
	RecordOnce(log, key string, ts, window int64, line []byte)
}

// HTTPSink is a Sink that also takes an http.log record with its busiest
// fields located (rec.HTTP), so that the consumers read them without
// indexing the line.
type HTTPSink interface {
	Sink
	RecordHTTP(line []byte, h *rec.HTTP)
}

// Sink receives finished records. log is the log's name without ".log"
// ("dns", "http", "ssl", "x509" …); line is one JSON object without a
// newline, only valid during the call.
type Sink interface {
	Record(log string, line []byte)
}

// Analyzer parses one connection's application bytes.
type Analyzer interface {
	// Data delivers bytes sent by dir at time ts: for TCP the next in-order
	// piece of that side's stream, for UDP one whole datagram payload.
	Data(dir Direction, ts int64, data []byte)
	// Gap reports n bytes of dir's TCP stream that were never seen.
	Gap(dir Direction, n int)
	// End flushes pending records when the connection ends at ts.
	End(ts int64)
	// Service is the conn.log service name once the analyzer is confident
	// the connection speaks its protocol ("" until then).
	Service() string
}

// Reuser is implemented by an Analyzer that can serve another connection
// once its own has ended (after End): Reuse makes it what New(ci, out)
// would return, keeping only buffers it owns (emptied, and dropped when
// they grew large). The application layer keeps a few ended analyzers of
// each protocol for the next connections, which so cost no new analyzer
// and no buffers grown from nothing.
type Reuser interface {
	Reuse(ci *ConnInfo, out Sink)
}

// ReuseBuf returns b emptied for a reused analyzer (see Reuser), or nil
// when it grew past max bytes: an unusual connection's large buffer is not
// kept for the next ones.
func ReuseBuf(b []byte, max int) []byte {
	if cap(b) > max {
		return nil
	}
	return b[:0]
}

// Finisher is implemented by an Analyzer that can tell when it needs no
// more bytes (TLS once the session is encrypted): the application layer
// then stops reassembling and feeding the connection, and only calls End.
type Finisher interface {
	Finished() bool
}

// Upgrader is implemented by an Analyzer whose protocol can hand the
// connection over to another one, as Zeek's analyzers do: SMTP after a
// STARTTLS answered by 220 and FTP after an AUTH TLS answered by 234 hand
// over to TLS ("ssl"). The application layer asks after each Data call;
// when ok, it creates the analyzer of the factory named next for the same
// connection (same ConnInfo, same Sink) and feeds it, first the bytes of
// that Data call after the first consumed ones, then every later byte of
// both sides. It stops asking once ok was returned and still calls End on
// this analyzer at connection end, so that it writes its records; conn.log's
// service lists both analyzers' services, this one's first ("smtp,ssl").
// When next is "" (HTTP after a CONNECT answered by 2xx), the protocol
// inside is detected again by content, as Zeek does for tunnels: the
// connection goes back to undecided for the bytes after the consumed ones
// (TCP only; the factories' ports are not used for this detection), this
// analyzer is kept for End and the service list, and the analyzer
// detected, if any, takes over ("http,ssl"). When another name is given
// and no factory is registered under it, the hand-over does not happen.
type Upgrader interface {
	Upgrade() (next string, consumed int, ok bool)
}

// Confidence is how sure a Factory is that a connection speaks its protocol.
type Confidence uint8

const (
	No     Confidence = iota // the bytes rule it out or say nothing
	Maybe                    // the port fits, the bytes do not contradict
	Likely                   // the bytes look right
	Sure                     // a signature that only this protocol has
)

// Factory creates analyzers for one protocol.
type Factory struct {
	Name string // service name, as in Zeek's conn.log ("dns", "http", "ssl" …)
	// Transports the protocol runs over: 6, 17 or both.
	Transports []uint8
	// Partial says the protocol is also analysed on TCP connections picked
	// up mid-stream (no SYN seen). Zeek does so for its binary ICS/IoT
	// analyzers (MQTT, Modbus, DNP3), not for HTTP and other text protocols.
	Partial bool
	// Ports are the protocol's well-known ports (responder side); a hint
	// only: detection is by content.
	Ports []uint16
	// Detect looks at the first bytes a side sent (at most a few hundred)
	// and the responder port, and says how sure it is. A factory without
	// one (WebSocket) is never detected: another analyzer hands the
	// connection over to it (Upgrader).
	Detect func(dir Direction, first []byte, respPort uint16, transport uint8) Confidence
	// New makes an analyzer for one connection.
	New func(ci *ConnInfo, out Sink) Analyzer
}

// OnPort is the Confidence a Detect gives bytes it does not recognise:
// Maybe on one of the protocol's ports, else No.
func OnPort(ports []uint16, respPort uint16) Confidence {
	if slices.Contains(ports, respPort) {
		return Maybe
	}
	return No
}

var (
	regMu     sync.RWMutex
	factories []*Factory
)

// Register adds f to the registry (call it from an init function).
func Register(f *Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	factories = append(factories, f)
	sort.Slice(factories, func(i, j int) bool { return factories[i].Name < factories[j].Name })
}

// Factories returns the registered factories sorted by name.
func Factories() []*Factory {
	regMu.RLock()
	defer regMu.RUnlock()
	return append([]*Factory(nil), factories...)
}

// Named gives an analyzer its Service method: the protocol's name for
// conn.log's service, once the analyzer has seen the protocol (Confirm).
// Analyzers embed it.
type Named struct {
	name      string
	confirmed bool
}

// Confirm marks the protocol seen: Service returns name from now on.
func (n *Named) Confirm(name string) { n.name, n.confirmed = name, true }

// Confirmed reports whether the protocol was seen.
func (n *Named) Confirmed() bool { return n.confirmed }

// Service implements Analyzer: the name once confirmed, else "".
func (n *Named) Service() string {
	if n.confirmed {
		return n.name
	}
	return ""
}

// Framed is the state the framed binary analyzers (Modbus, DNP3)
// share, embedded in each: the connection, the sink, the protocol's name,
// whether a valid frame confirmed it (conn.log's service) and whether a
// gap ended parsing (framing cannot be recovered after lost bytes).
type Framed struct {
	CI        *ConnInfo
	Out       Sink
	Name      string
	Confirmed bool
	Dead      bool
}

// Service implements Analyzer: the name once confirmed.
func (f *Framed) Service() string {
	if f.Confirmed {
		return f.Name
	}
	return ""
}

// Gap implements Analyzer: framing is lost, the analyzer stops.
func (f *Framed) Gap(_ Direction, n int) {
	if n > 0 {
		f.Dead = true
	}
}
