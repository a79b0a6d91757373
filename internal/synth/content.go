package synth

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"sync"
)

// Payload pools. Bulk payload bytes (encrypted records, compressed bodies,
// HTML text) are copied out of two fixed pools so that producing a packet
// never costs more than a memcpy. The pools are built once from a fixed seed;
// which slice a flow uses comes from the configured seed.
const (
	poolRand = iota // high-entropy bytes: ciphertext, images, compressed data
	poolText        // HTML-like text
	poolNoFF        // high-entropy bytes without 0xff (JPEG entropy-coded data)
)

const (
	randPoolSize = 1 << 20
	textPoolSize = 1 << 18
)

var (
	poolsOnce sync.Once
	pools     [3][]byte
)

func getPools() *[3][]byte {
	poolsOnce.Do(func() {
		r := rand.New(rand.NewPCG(0x5eed, 0xc0ffee))
		rb := make([]byte, randPoolSize)
		for i := 0; i+8 <= len(rb); i += 8 {
			binary.LittleEndian.PutUint64(rb[i:], r.Uint64())
		}
		pools[poolRand] = rb
		nf := make([]byte, randPoolSize)
		for i, c := range rb {
			if c == 0xff {
				c = 0xfe
			}
			nf[i] = c
		}
		pools[poolNoFF] = nf
		pools[poolText] = buildText(r, textPoolSize)
	})
	return &pools
}

var words = []string{
	"the", "network", "service", "account", "update", "report", "security",
	"policy", "customer", "product", "support", "download", "release", "notes",
	"server", "client", "access", "status", "monitor", "traffic", "storage",
	"backup", "profile", "settings", "privacy", "terms", "contact", "about",
	"news", "events", "search", "results", "page", "team", "project", "data",
	"cloud", "platform", "pricing", "features", "documentation", "guide",
	"and", "of", "to", "for", "with", "in", "on", "your", "our", "new", "all",
}

var tags = []string{
	"<div class=\"row\">", "</div>\n", "<p>", "</p>\n", "<li><a href=\"/", "</a></li>\n",
	"<span class=\"label\">", "</span>", "<h2>", "</h2>\n", "<script src=\"/static/js/app.",
	".js\"></script>\n", "<link rel=\"stylesheet\" href=\"/static/css/main.", ".css\">\n",
}

// buildText makes n bytes of markup-looking text.
func buildText(r *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+256)
	for len(b) < n {
		if r.IntN(4) == 0 {
			b = append(b, tags[r.IntN(len(tags))]...)
			continue
		}
		k := 3 + r.IntN(12)
		for i := 0; i < k; i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, words[r.IntN(len(words))]...)
		}
		b = append(b, '.', ' ')
	}
	return b[:n]
}

// part is one piece of an application message: literal bytes, or n bytes
// taken from a pool starting at off.
type part struct {
	lit  []byte
	n    int
	pool uint8
	off  int
}

// message is the byte stream one side sends in one exchange; TCP segments
// take consecutive bytes from it.
type message struct {
	parts []part
	pi    int // current part
	po    int // offset within the current part
	left  int
}

func (m *message) reset() {
	m.parts = m.parts[:0]
	m.pi, m.po, m.left = 0, 0, 0
}

func (m *message) lit(b []byte) {
	if len(b) == 0 {
		return
	}
	m.parts = append(m.parts, part{lit: b, n: len(b)})
	m.left += len(b)
}

func (m *message) fill(n int, pool uint8, off int) {
	if n <= 0 {
		return
	}
	m.parts = append(m.parts, part{n: n, pool: pool, off: off})
	m.left += n
}

// read copies the next len(dst) bytes of the message into dst; past the end
// it pads with zeros (never happens when the planner is right).
func (m *message) read(dst []byte) {
	p := getPools()
	for len(dst) > 0 {
		if m.pi >= len(m.parts) {
			clear(dst)
			return
		}
		pt := &m.parts[m.pi]
		k := min(pt.n-m.po, len(dst))
		if pt.lit != nil {
			copy(dst[:k], pt.lit[m.po:m.po+k])
		} else {
			src := p[pt.pool]
			off := (pt.off + m.po) % len(src)
			done := 0
			for done < k {
				c := copy(dst[done:k], src[off:])
				done += c
				off = 0
			}
		}
		dst = dst[k:]
		m.po += k
		m.left -= k
		if m.po == pt.n {
			m.pi++
			m.po = 0
		}
	}
}

// ---------------------------------------------------------------------------
// Names

var nameLabels = []string{
	"www", "api", "cdn", "static", "img", "mail", "login", "auth", "update",
	"assets", "m", "app", "news", "docs", "ws", "edge", "telemetry", "files",
	"shop", "video", "portal", "status", "download", "sso", "events",
}

var domainA = []string{
	"blue", "north", "silver", "bright", "river", "stone", "cloud", "rapid",
	"green", "iron", "swift", "clear", "summit", "harbor", "maple", "cedar",
}

var domainB = []string{
	"wave", "peak", "line", "field", "works", "point", "gate", "net", "labs",
	"forge", "bridge", "path", "stack", "port", "mart", "media",
}

var tlds = []string{"com", "com", "com", "net", "org", "io", "de", "co.uk", "example"}

const numNames = 600

var (
	namesOnce sync.Once
	names     []string
)

// hostNames returns a fixed, plausible set of host names; popular ones come
// first (callers pick with a skewed index).
func hostNames() []string {
	namesOnce.Do(func() {
		r := rand.New(rand.NewPCG(0xd05, 0x1234))
		seen := map[string]bool{}
		for len(names) < numNames {
			n := nameLabels[r.IntN(len(nameLabels))] + "." + domainA[r.IntN(len(domainA))] +
				domainB[r.IntN(len(domainB))] + "." + tlds[r.IntN(len(tlds))]
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	})
	return names
}

// skewed returns an index in [0,n) favouring small indexes (Zipf-like).
func skewed(r *rand.Rand, n int) int {
	u := r.Float64()
	i := int(float64(n) * u * u * u)
	if i >= n {
		i = n - 1
	}
	return i
}

// ---------------------------------------------------------------------------
// HTTP

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15",
	"curl/7.88.1",
	"Debian APT-HTTP/1.3 (2.6.1)",
	"python-requests/2.31.0",
	"Go-http-client/1.1",
}

var paths = []string{
	"/", "/index.html", "/favicon.ico", "/static/css/main.css", "/static/js/app.js",
	"/images/logo.png", "/api/v1/status", "/api/v1/items?page=2", "/login",
	"/news/2025/12/31/year-in-review", "/debian/dists/bookworm/InRelease",
	"/downloads/setup.exe", "/search?q=network+monitor", "/robots.txt",
	"/assets/fonts/inter.woff2", "/products/42", "/cart", "/healthz",
}

type httpBody struct {
	ctype string
	pool  uint8
}

var httpBodies = []httpBody{
	{"text/html; charset=utf-8", poolText},
	{"text/html; charset=utf-8", poolText},
	{"application/json", poolText},
	{"text/css", poolText},
	{"application/javascript", poolText},
	{"image/png", poolRand},
	{"image/jpeg", poolRand},
	{"application/octet-stream", poolRand},
	{"font/woff2", poolRand},
}

var servers = []string{"nginx/1.24.0", "Apache/2.4.62 (Debian)", "nginx", "cloudflare", "Microsoft-IIS/10.0", "envoy"}

// httpRequest appends a request to b.
func httpRequest(b []byte, r *rand.Rand, host string, post bool, bodyLen int) []byte {
	if post {
		b = append(b, "POST "...)
		b = append(b, "/api/v1/events"...)
	} else {
		b = append(b, "GET "...)
		b = append(b, paths[skewed(r, len(paths))]...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, userAgents[r.IntN(len(userAgents))]...)
	b = append(b, "\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n"...)
	if r.IntN(3) == 0 {
		b = append(b, "Cookie: session="...)
		b = appendHex(b, r.Uint64())
		b = appendHex(b, r.Uint64())
		b = append(b, "\r\n"...)
	}
	if post {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(bodyLen), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Connection: keep-alive\r\n\r\n"...)
	return b
}

var httpDays = []string{"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"}

// httpResponseHeader appends a response header to b.
func httpResponseHeader(b []byte, r *rand.Rand, status int, ctype string, bodyLen int, unixSec int64) []byte {
	b = append(b, "HTTP/1.1 "...)
	switch status {
	case 200:
		b = append(b, "200 OK"...)
	case 301:
		b = append(b, "301 Moved Permanently"...)
	case 304:
		b = append(b, "304 Not Modified"...)
	case 404:
		b = append(b, "404 Not Found"...)
	case 500:
		b = append(b, "500 Internal Server Error"...)
	default:
		b = strconv.AppendInt(b, int64(status), 10)
		b = append(b, " Status"...)
	}
	b = append(b, "\r\nDate: "...)
	b = appendHTTPDate(b, unixSec)
	b = append(b, "\r\nServer: "...)
	b = append(b, servers[r.IntN(len(servers))]...)
	if status == 301 {
		b = append(b, "\r\nLocation: https://"...)
		b = append(b, hostNames()[r.IntN(numNames)]...)
		b = append(b, '/')
	}
	if ctype != "" {
		b = append(b, "\r\nContent-Type: "...)
		b = append(b, ctype...)
	}
	if status != 304 {
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(bodyLen), 10)
	}
	if r.IntN(2) == 0 {
		b = append(b, "\r\nCache-Control: max-age="...)
		b = strconv.AppendInt(b, int64(60*(1+r.IntN(600))), 10)
		b = append(b, "\r\nETag: \""...)
		b = appendHex(b, r.Uint64())
		b = append(b, '"')
	}
	b = append(b, "\r\nConnection: keep-alive\r\n\r\n"...)
	return b
}

// appendHTTPDate appends an IMF-fixdate; days since 1970-01-01 (a Thursday).
func appendHTTPDate(b []byte, sec int64) []byte {
	days := sec / 86400
	rem := sec % 86400
	y, m, d := civil(days)
	b = append(b, httpDays[days%7]...)
	b = append(b, ", "...)
	b = append2(b, d)
	b = append(b, ' ')
	b = append(b, monthNames[m-1]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, ' ')
	b = append2(b, int(rem/3600))
	b = append(b, ':')
	b = append2(b, int(rem/60%60))
	b = append(b, ':')
	b = append2(b, int(rem%60))
	return append(b, " GMT"...)
}

var monthNames = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// civil converts days since the Unix epoch to a proleptic Gregorian date.
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mm > 12 {
		mm -= 12
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10%10), byte('0'+v%10))
}

func appendHex(b []byte, v uint64) []byte {
	const hex = "0123456789abcdef"
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hex[v>>uint(i)&15])
	}
	return b
}

// ---------------------------------------------------------------------------
// TLS 1.3

// tlsClientHello appends a TLS 1.3 ClientHello record with SNI and ALPN.
func tlsClientHello(b []byte, r *rand.Rand, sni string) []byte {
	rec := len(b)
	b = append(b, 0x16, 0x03, 0x01, 0, 0) // handshake record, length later
	hs := len(b)
	b = append(b, 0x01, 0, 0, 0) // ClientHello, length later
	b = append(b, 0x03, 0x03)
	b = appendRand(b, r, 32)
	b = append(b, 32)
	b = appendRand(b, r, 32)
	suites := []byte{0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c,
		0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d,
		0x00, 0x2f, 0x00, 0x35}
	b = binary.BigEndian.AppendUint16(b, uint16(len(suites)))
	b = append(b, suites...)
	b = append(b, 0x01, 0x00) // compression: null
	ext := len(b)
	b = append(b, 0, 0)
	// server_name
	b = binary.BigEndian.AppendUint16(b, 0x0000)
	b = binary.BigEndian.AppendUint16(b, uint16(len(sni)+5))
	b = binary.BigEndian.AppendUint16(b, uint16(len(sni)+3))
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(sni)))
	b = append(b, sni...)
	b = append(b, 0x00, 0x17, 0x00, 0x00)                                     // extended_master_secret
	b = append(b, 0xff, 0x01, 0x00, 0x01, 0x00)                               // renegotiation_info
	b = append(b, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x1d, 0x00, 0x17, // supported_groups
		0x00, 0x18, 0x00, 0x19)
	b = append(b, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00)                       // ec_point_formats
	b = append(b, 0x00, 0x23, 0x00, 0x00)                                   // session_ticket
	b = append(b, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, // ALPN
		'h', 't', 't', 'p', '/', '1', '.', '1')
	b = append(b, 0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00)                   // status_request
	b = append(b, 0x00, 0x0d, 0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, // signature_algorithms
		0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01)
	b = append(b, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20) // key_share x25519
	b = appendRand(b, r, 32)
	b = append(b, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01)                   // psk_key_exchange_modes
	b = append(b, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03) // supported_versions
	binary.BigEndian.PutUint16(b[ext:], uint16(len(b)-ext-2))
	hl := len(b) - hs - 4
	b[hs+1], b[hs+2], b[hs+3] = byte(hl>>16), byte(hl>>8), byte(hl)
	binary.BigEndian.PutUint16(b[rec+3:], uint16(len(b)-rec-5))
	return b
}

// tlsServerHello appends ServerHello and ChangeCipherSpec records.
func tlsServerHello(b []byte, r *rand.Rand) []byte {
	rec := len(b)
	b = append(b, 0x16, 0x03, 0x03, 0, 0)
	hs := len(b)
	b = append(b, 0x02, 0, 0, 0)
	b = append(b, 0x03, 0x03)
	b = appendRand(b, r, 32)
	b = append(b, 32)
	b = appendRand(b, r, 32)
	b = append(b, 0x13, 0x01, 0x00) // TLS_AES_128_GCM_SHA256, null compression
	b = append(b, 0x00, 0x2e)       // extensions length
	b = append(b, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04)
	b = append(b, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20)
	b = appendRand(b, r, 32)
	hl := len(b) - hs - 4
	b[hs+1], b[hs+2], b[hs+3] = byte(hl>>16), byte(hl>>8), byte(hl)
	binary.BigEndian.PutUint16(b[rec+3:], uint16(len(b)-rec-5))
	return append(b, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01)
}

// tlsAppData adds application-data records carrying n bytes of ciphertext
// (split into records of at most 16 KiB + tag) to m; hdr is scratch space
// for the record headers and is returned grown.
func tlsAppData(m *message, hdr []byte, r *rand.Rand, n int) []byte {
	for n > 0 {
		k := min(n, 16384+17)
		h := len(hdr)
		hdr = append(hdr, 0x17, 0x03, 0x03, byte(k>>8), byte(k))
		m.lit(hdr[h:len(hdr):len(hdr)])
		m.fill(k, poolRand, r.IntN(randPoolSize))
		n -= k
	}
	return hdr
}

func appendRand(b []byte, r *rand.Rand, n int) []byte {
	for n >= 8 {
		b = binary.LittleEndian.AppendUint64(b, r.Uint64())
		n -= 8
	}
	v := r.Uint64()
	for ; n > 0; n-- {
		b = append(b, byte(v))
		v >>= 8
	}
	return b
}

// ---------------------------------------------------------------------------
// SSH

var sshClientBanners = []string{
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"SSH-2.0-OpenSSH_9.6\r\n",
	"SSH-2.0-PuTTY_Release_0.81\r\n",
	"SSH-2.0-OpenSSH_for_Windows_9.5\r\n",
}

var sshServerBanners = []string{
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n",
	"SSH-2.0-OpenSSH_9.6\r\n",
}

var sshKexLists = []string{
	"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c",
	"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,rsa-sha2-512,rsa-sha2-256",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
	"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1",
	"umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1",
	"none,zlib@openssh.com",
	"none,zlib@openssh.com",
	"",
	"",
}

// sshPacket appends a binary-packet-protocol frame around payload (which is
// appended by fill) with block-aligned random padding.
func sshPacket(b []byte, r *rand.Rand, payload []byte) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	b = binary.BigEndian.AppendUint32(b, uint32(1+len(payload)+pad))
	b = append(b, byte(pad))
	b = append(b, payload...)
	return appendRand(b, r, pad)
}

// sshKexInit appends an SSH_MSG_KEXINIT packet.
func sshKexInit(b []byte, r *rand.Rand) []byte {
	var p [1024]byte
	pl := append(p[:0], 20)
	pl = appendRand(pl, r, 16)
	for _, s := range sshKexLists {
		pl = binary.BigEndian.AppendUint32(pl, uint32(len(s)))
		pl = append(pl, s...)
	}
	pl = append(pl, 0, 0, 0, 0, 0)
	return sshPacket(b, r, pl)
}

// ---------------------------------------------------------------------------
// DNS

// dnsName appends name in wire format.
func dnsName(b []byte, name string) []byte {
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			b = append(b, byte(i-start))
			b = append(b, name[start:i]...)
			start = i + 1
		}
	}
	return append(b, 0)
}

const (
	dnsTypeA     = 1
	dnsTypeCNAME = 5
	dnsTypePTR   = 12
	dnsTypeAAAA  = 28
	dnsTypeHTTPS = 65
)

// dnsQuery appends a standard recursive query.
func dnsQuery(b []byte, id uint16, name string, qtype uint16, edns bool) []byte {
	b = binary.BigEndian.AppendUint16(b, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0)
	if edns {
		b[len(b)-1] = 1
	}
	b = dnsName(b, name)
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = append(b, 0, 1)
	if edns {
		b = append(b, 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0) // OPT, 1232-byte UDP payload
	}
	return b
}

// dnsAnswer describes the response to build.
type dnsAnswer struct {
	rcode uint8
	cname string // optional CNAME target
	addrs [][]byte
	ttl   uint32
	ptr   string
}

// dnsResponse appends a response to the query q (which must be what
// dnsQuery produced for the same arguments).
func dnsResponse(b []byte, q []byte, qtype uint16, edns bool, a *dnsAnswer) []byte {
	start := len(b)
	// Header and question come from the query.
	qlen := len(q)
	if edns {
		qlen -= 11
	}
	b = append(b, q[:qlen]...)
	b[start+2] = 0x81
	b[start+3] = 0x80 | a.rcode
	an := 0
	target := uint16(0xc00c) // pointer to the question name
	if a.cname != "" && a.rcode == 0 {
		b = binary.BigEndian.AppendUint16(b, target)
		b = append(b, 0, dnsTypeCNAME, 0, 1)
		b = binary.BigEndian.AppendUint32(b, a.ttl)
		rdl := len(b)
		b = append(b, 0, 0)
		target = 0xc000 | uint16(len(b)-start)
		b = dnsName(b, a.cname)
		binary.BigEndian.PutUint16(b[rdl:], uint16(len(b)-rdl-2))
		an++
	}
	if a.rcode == 0 {
		if a.ptr != "" {
			b = binary.BigEndian.AppendUint16(b, target)
			b = append(b, 0, dnsTypePTR, 0, 1)
			b = binary.BigEndian.AppendUint32(b, a.ttl)
			rdl := len(b)
			b = append(b, 0, 0)
			b = dnsName(b, a.ptr)
			binary.BigEndian.PutUint16(b[rdl:], uint16(len(b)-rdl-2))
			an++
		}
		for _, ad := range a.addrs {
			b = binary.BigEndian.AppendUint16(b, target)
			b = binary.BigEndian.AppendUint16(b, qtype)
			b = append(b, 0, 1)
			b = binary.BigEndian.AppendUint32(b, a.ttl)
			b = binary.BigEndian.AppendUint16(b, uint16(len(ad)))
			b = append(b, ad...)
			an++
		}
	}
	binary.BigEndian.PutUint16(b[start+6:], uint16(an))
	if edns {
		b = append(b, 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0)
	}
	return b
}

// ---------------------------------------------------------------------------
// NTP

const ntpEpochOffset = 2208988800

func ntpTime(b []byte, unixNs int64) []byte {
	sec := uint32(unixNs/1e9 + ntpEpochOffset)
	frac := uint32((uint64(unixNs%1e9) << 32) / 1e9)
	b = binary.BigEndian.AppendUint32(b, sec)
	return binary.BigEndian.AppendUint32(b, frac)
}

// ntpClient appends a mode-3 request.
func ntpClient(b []byte, txNs int64) []byte {
	b = append(b, 0x23, 0, 6, 0xe9)
	b = append(b, make([]byte, 36)...)
	return ntpTime(b, txNs)
}

// ntpServer appends a mode-4 reply.
func ntpServer(b []byte, refID [4]byte, origTx []byte, rxNs, txNs int64) []byte {
	b = append(b, 0x24, 2, 6, 0xe7)
	b = append(b, 0, 0, 0x02, 0x1c, 0, 0, 0x03, 0x4a) // root delay, root dispersion
	b = append(b, refID[:]...)
	b = ntpTime(b, rxNs-int64(17e9))
	b = append(b, origTx...)
	b = ntpTime(b, rxNs)
	return ntpTime(b, txNs)
}

// ---------------------------------------------------------------------------
// Syslog / statsd (one-way UDP)

var syslogApps = []string{"sshd", "CRON", "systemd", "kernel", "nginx", "postfix/smtpd", "dhclient", "sudo"}
var syslogMsgs = []string{
	"Accepted publickey for deploy from 10.16.4.21 port 52814 ssh2: ED25519 SHA256:q1w2e3r4t5y6",
	"pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
	"Started Daily apt download activities.",
	"[UFW BLOCK] IN=eth0 OUT= MAC=00:00:5e:00:01:01 SRC=203.0.113.241 DST=10.16.0.10 LEN=44 PROTO=TCP SPT=51234 DPT=23",
	"connect from unknown[198.51.100.77]",
	"DHCPACK of 10.16.3.77 from 10.16.0.1",
	"deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
	"upstream timed out (110: Connection timed out) while reading response header from upstream",
}

func syslogLine(b []byte, r *rand.Rand, unixNs int64, host string) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(8*(16+r.IntN(8))+3+r.IntN(5)), 10)
	b = append(b, '>')
	sec := unixNs / 1e9
	_, m, d := civil(sec / 86400)
	b = append(b, monthNames[m-1]...)
	b = append(b, ' ')
	if d < 10 {
		b = append(b, ' ', byte('0'+d))
	} else {
		b = append2(b, d)
	}
	rem := sec % 86400
	b = append(b, ' ')
	b = append2(b, int(rem/3600))
	b = append(b, ':')
	b = append2(b, int(rem/60%60))
	b = append(b, ':')
	b = append2(b, int(rem%60))
	b = append(b, ' ')
	b = append(b, host...)
	b = append(b, ' ')
	b = append(b, syslogApps[r.IntN(len(syslogApps))]...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(300+r.IntN(60000)), 10)
	b = append(b, "]: "...)
	return append(b, syslogMsgs[r.IntN(len(syslogMsgs))]...)
}

var statsdKeys = []string{"web.requests", "web.latency_ms", "db.queries", "cache.hits", "cache.misses", "queue.depth"}

func statsdLine(b []byte, r *rand.Rand) []byte {
	n := 1 + r.IntN(4)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, statsdKeys[r.IntN(len(statsdKeys))]...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(r.IntN(500)), 10)
		if r.IntN(2) == 0 {
			b = append(b, "|c"...)
		} else {
			b = append(b, "|ms"...)
		}
	}
	return b
}

// ---------------------------------------------------------------------------
// Well-formed bodies for content types that dissectors parse.

var jsonNames = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}

// jsonBody appends a JSON array of records about n bytes long.
func jsonBody(b []byte, r *rand.Rand, n int) []byte {
	start := len(b)
	b = append(b, '[')
	for i := 0; ; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(r.IntN(1000000)), 10)
		b = append(b, `,"name":"`...)
		b = append(b, jsonNames[r.IntN(len(jsonNames))]...)
		b = append(b, `","active":`...)
		b = strconv.AppendBool(b, r.IntN(2) == 0)
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, float64(r.IntN(10000))/100, 'f', 2, 64)
		b = append(b, '}')
		if len(b)-start+60 > n {
			break
		}
	}
	return append(b, ']')
}

// pngBody adds an n-byte PNG (signature, IHDR, one IDAT of pool bytes with
// a correct CRC, IEND) to m, with its literal parts appended to arena.
func pngBody(m *message, arena []byte, r *rand.Rand, n int) []byte {
	s := len(arena)
	arena = append(arena, 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n')
	ih := len(arena)
	arena = append(arena, 0, 0, 0, 13, 'I', 'H', 'D', 'R')
	arena = binary.BigEndian.AppendUint32(arena, uint32(16+r.IntN(1024)))
	arena = binary.BigEndian.AppendUint32(arena, uint32(16+r.IntN(768)))
	arena = append(arena, 8, 6, 0, 0, 0) // 8-bit RGBA
	arena = binary.BigEndian.AppendUint32(arena, crc32.ChecksumIEEE(arena[ih+4:]))
	dl := n - (len(arena) - s) - 12 - 12
	arena = binary.BigEndian.AppendUint32(arena, uint32(dl))
	arena = append(arena, 'I', 'D', 'A', 'T')
	m.lit(arena[s:len(arena):len(arena)])
	off := r.IntN(randPoolSize)
	m.fill(dl, poolRand, off)
	crc := crc32.Update(0, crc32.IEEETable, []byte("IDAT"))
	crc = crcPool(crc, getPools()[poolRand], off, dl)
	t := len(arena)
	arena = binary.BigEndian.AppendUint32(arena, crc)
	arena = append(arena, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82)
	m.lit(arena[t:len(arena):len(arena)])
	return arena
}

// crcPool continues crc over n pool bytes from off, wrapping around.
func crcPool(crc uint32, p []byte, off, n int) uint32 {
	off %= len(p)
	for n > 0 {
		k := min(n, len(p)-off)
		crc = crc32.Update(crc, crc32.IEEETable, p[off:off+k])
		n -= k
		off = 0
	}
	return crc
}

// jpegBody adds an n-byte baseline JFIF (SOI, APP0, DQT, SOF0, DHT, SOS,
// entropy-coded bytes without markers, EOI) to m.
func jpegBody(m *message, arena []byte, r *rand.Rand, n int) []byte {
	s := len(arena)
	arena = append(arena, 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	arena = append(arena, 0xff, 0xdb, 0, 67, 0)
	for i := 0; i < 64; i++ {
		arena = append(arena, byte(2+i/4))
	}
	w, h := 16+r.IntN(1024), 16+r.IntN(768)
	arena = append(arena, 0xff, 0xc0, 0, 11, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0)
	// A DC Huffman table with one code of length 1.
	arena = append(arena, 0xff, 0xc4, 0, 20, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	arena = append(arena, 0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0)
	dl := max(0, n-(len(arena)-s)-2)
	m.lit(arena[s:len(arena):len(arena)])
	m.fill(dl, poolNoFF, r.IntN(randPoolSize))
	t := len(arena)
	arena = append(arena, 0xff, 0xd9)
	m.lit(arena[t:len(arena):len(arena)])
	return arena
}

// ikeInit appends the payloads of an IKE_SA_INIT message: SA (one proposal
// of AES-GCM-16/256, PRF-HMAC-SHA2-256, Curve25519), KE, Nonce, the two
// NAT-detection notifications and a vendor ID.
func ikeInit(b []byte, r *rand.Rand) []byte {
	be := binary.BigEndian
	b = append(b, 34, 0, 0, 40) // SA -> KE, 4 + 36
	b = append(b, 0, 0, 0, 36, 1, 1, 0, 3)
	b = append(b, 3, 0, 0, 12, 1, 0, 0, 20, 0x80, 0x0e, 0x01, 0x00)
	b = append(b, 3, 0, 0, 8, 2, 0, 0, 5)
	b = append(b, 0, 0, 0, 8, 4, 0, 0, 31)
	b = append(b, 40, 0, 0, 40, 0, 31, 0, 0) // KE -> Nonce
	b = appendRand(b, r, 32)
	b = append(b, 41, 0, 0, 36) // Nonce -> Notify
	b = appendRand(b, r, 32)
	for i, typ := range []uint16{16388, 16389} {
		next := byte(41)
		if i == 1 {
			next = 43 // -> Vendor ID
		}
		b = append(b, next, 0, 0, 28, 0, 0)
		b = be.AppendUint16(b, typ)
		b = appendRand(b, r, 20)
	}
	vl := 16 + r.IntN(48)
	b = append(b, 0, 0)
	b = be.AppendUint16(b, uint16(4+vl))
	return appendRand(b, r, vl)
}
