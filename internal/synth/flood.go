package synth

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// FloodConfig controls what WriteFlood produces.
type FloodConfig struct {
	Seed int64
	// Packets is the number of packets (default 1,000,000).
	Packets int
	// Rate is the packets per second (default 10,000).
	Rate float64
	// Start is the first packet's time (default 2026-01-01T00:00:00Z).
	Start time.Time
}

// Flood parts: every fourth packet a spoofed IPv4 SYN, every fourth an
// IPv6 one, the other half DNS queries for random names.
const (
	floodVictim4   = "\x0a\x00\x00\x01" // 10.0.0.1:80
	floodResolver4 = "\x0a\x00\x00\x35" // 10.0.0.53:53
	floodParents   = 50                 // tunnel0.example.com … tunnel49.example.com
	floodClients   = 1 << 16            // the queries' sources: 10.0.0.0/16
)

var floodVictim6 = [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1} // [2001:db8::1]:443

// WriteFlood writes a pcap (Ethernet, nanosecond timestamps) of the
// traffic that fills detectors' tables fastest, for their bounds and
// their speed under attack: a SYN flood from spoofed random sources, half
// IPv4 to one victim's port 80, half IPv6 to another's port 443 (one
// connection and one new source per packet), and a DNS "water torture":
// queries (A and TXT, never answered) for random names under fifty parent
// domains from 65,536 clients, each name new. Every checksum is right, so
// that nothing is dropped before it reaches the detectors. The output
// depends only on cfg.
func WriteFlood(w io.Writer, cfg FloodConfig) (Stats, error) {
	if cfg.Packets < 0 || cfg.Rate < 0 {
		return Stats{}, errors.New("synth: negative Packets or Rate")
	}
	if cfg.Packets == 0 {
		cfg.Packets = 1_000_000
	}
	if cfg.Rate == 0 {
		cfg.Rate = 10_000
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultConfig().Start
	}
	return writePcap(w, func(out emitFunc) (Stats, error) { return flood(cfg, out) })
}

// flood hands WriteFlood's frames to out.
func flood(cfg FloodConfig, out emitFunc) (Stats, error) {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x666c6f6f64))
	buf := make([]byte, 0, 256)
	var st Stats
	gap := float64(time.Second) / cfg.Rate
	for i := range cfg.Packets {
		switch i % 4 {
		case 0:
			buf = floodSYN4(buf[:0], rng)
		case 1:
			buf = floodSYN6(buf[:0], rng)
		default:
			buf = floodQuery(buf[:0], rng, i%4 == 2)
		}
		if err := out(cfg.Start.UnixNano()+int64(float64(i)*gap), buf); err != nil {
			return st, err
		}
		st.Packets++
		st.Bytes += len(buf)
		st.Flows++
	}
	return st, nil
}

// floodMACs is every flood frame's Ethernet header less its type: one
// router sends them all, as on a real uplink.
var floodMACs = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}

// floodSYN4 appends a SYN to the IPv4 victim from a random source.
func floodSYN4(b []byte, rng *rand.Rand) []byte {
	b = binary.BigEndian.AppendUint16(append(b, floodMACs...), ethIPv4)
	var src, dst [16]byte
	binary.BigEndian.PutUint32(src[:], rng.Uint32())
	copy(dst[:], floodVictim4)
	ip := len(b)
	b = append(b, make([]byte, 20)...)
	putIPv4(b[ip:], 0, 40, uint16(rng.Uint32()), false, 0, false, 64, protoTCP, src[:4], dst[:4])
	return appendSYN(b, false, &src, &dst, uint16(rng.Uint32()), 80, rng.Uint32())
}

// floodSYN6 appends a SYN to the IPv6 victim from a random source in
// 2001:db8::/32.
func floodSYN6(b []byte, rng *rand.Rand) []byte {
	b = binary.BigEndian.AppendUint16(append(b, floodMACs...), ethIPv6)
	src := [16]byte{0x20, 0x01, 0x0d, 0xb8}
	binary.BigEndian.PutUint32(src[4:], rng.Uint32())
	binary.BigEndian.PutUint64(src[8:], rng.Uint64())
	ip := len(b)
	b = append(b, make([]byte, 40)...)
	putIPv6(b[ip:], 0, 0, 20, protoTCP, 64, &src, &floodVictim6)
	return appendSYN(b, true, &src, &floodVictim6, uint16(rng.Uint32()), 443, rng.Uint32())
}

// appendSYN appends a 20-byte TCP SYN with its checksum.
func appendSYN(b []byte, v6 bool, src, dst *[16]byte, sport, dport uint16, seq uint32) []byte {
	t := len(b)
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = append(b, 5<<4, tcpSyn, 0x04, 0x00, 0, 0, 0, 0) // window 1024, checksum, urgent
	binary.BigEndian.PutUint16(b[t+16:], fold(sum(pseudo(v6, src, dst, protoTCP, 20), b[t:])))
	return b
}

// floodQuery appends a DNS query (A, or TXT when txt) for a new random name
// under one of the parent domains, from a random client to the resolver.
func floodQuery(b []byte, rng *rand.Rand, txt bool) []byte {
	b = binary.BigEndian.AppendUint16(append(b, floodMACs...), ethIPv4)
	var src, dst [16]byte
	binary.BigEndian.PutUint32(src[:], 10<<24|rng.Uint32N(floodClients))
	copy(dst[:], floodResolver4)
	ip := len(b)
	b = append(b, make([]byte, 28)...) // IPv4 and UDP headers, filled below
	b = binary.BigEndian.AppendUint16(b, uint16(rng.Uint32()))
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	n := 8 + rng.IntN(53)
	b = append(b, byte(n))
	for range n {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	b = appendLabel(b, "tunnel"+strconv.Itoa(rng.IntN(floodParents)))
	b = appendLabel(appendLabel(b, "example"), "com")
	qtype := uint16(1)
	if txt {
		qtype = 16
	}
	b = binary.BigEndian.AppendUint16(append(b, 0), qtype)
	b = binary.BigEndian.AppendUint16(b, 1)
	udpLen := len(b) - ip - 20
	u := b[ip+20:]
	binary.BigEndian.PutUint16(u, uint16(1024+rng.IntN(64512)))
	binary.BigEndian.PutUint16(u[2:], 53)
	binary.BigEndian.PutUint16(u[4:], uint16(udpLen))
	c := fold(sum(pseudo(false, &src, &dst, protoUDP, udpLen), u))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], c)
	putIPv4(b[ip:], 0, 20+udpLen, uint16(rng.Uint32()), false, 0, false, 64, protoUDP, src[:4], dst[:4])
	return b
}

func appendLabel(b []byte, l string) []byte { return append(append(b, byte(len(l))), l...) }
