// Package live captures packets from network interfaces (Linux AF_PACKET).
//
// Open opens one interface as a fanout group of Config.Fanout members;
// each member is a capture.Source with its own memory-mapped TPACKET_V3
// ring, read by one goroutine. The kernel spreads packets over the members
// by a symmetric flow hash (PACKET_FANOUT_HASH): both directions of a
// connection, and every fragment of a datagram, reach the same member.
//
//	g, err := live.Open(live.DefaultConfig("eth0"))
//	srcs := g.Sources()     // one reader goroutine each
//	…                        // Next until io.EOF
//	g.Stop()                // from anywhere: every Next returns io.EOF within ~100 ms
//	err = g.Close()         // once no Next runs: frees what is left
//
// Next is zero-copy: Frame.Data points into the ring and stays valid until
// the next call, which hands the block back to the kernel once all its
// packets were read. Next does not allocate. It returns capture.ErrIdle
// when the ring is empty (at once when it runs dry, then after each
// 100 ms without a packet), so a caller can do periodic work. After Close the kernel adds nothing more to the
// rings; Next hands out what they hold, then io.EOF. Timestamps are the
// kernel's, in nanoseconds. VLAN tags the NIC stripped are put back into
// the frame (in place, in the ring), so VLANs are seen as in a file.
//
// Memory is bounded: Blocks × BlockSize bytes per member (32 MiB by
// default), allocated by the kernel when the member opens. Statistics
// (packets, drops, ring freezes) come from PACKET_STATISTICS, which the
// kernel resets at each read; Stats accumulates them.
//
// Opening needs root or CAP_NET_RAW. On other systems Open returns an
// error.
package live

import (
	"errors"
	"fmt"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
)

// Config configures the capture of one interface.
type Config struct {
	Interface string
	// Fanout is the number of members (rings, reader goroutines); 1..64.
	Fanout int
	// BlockSize is the size of one ring block in bytes (a power of two,
	// at least 64 KiB, at most 64 MiB) and Blocks the number of blocks of
	// each member's ring; BlockSize bounds the captured length of a
	// packet.
	BlockSize int
	Blocks    int
	// BlockTimeout is how long the kernel fills a block before handing it
	// over even when not full (the latency of a quiet link); at most
	// 50 ms (the analysis assumes packets reach it within 100 ms).
	BlockTimeout time.Duration
	// Promisc puts the interface in promiscuous mode while capturing.
	Promisc bool
	// KernelDefrag reassembles IPv4 fragments in the kernel before the
	// fanout (PACKET_FANOUT_FLAG_DEFRAG). Off, Vigil's own reassembly sees
	// the fragments and reports overlaps and other evasions; the fanout
	// hash ignores ports for fragments, so a datagram's fragments meet in
	// one member either way.
	KernelDefrag bool
}

// DefaultConfig returns the defaults for iface: one member, 32 blocks of
// 1 MiB, 10 ms block timeout, promiscuous.
func DefaultConfig(iface string) Config {
	return Config{Interface: iface, Fanout: 1, BlockSize: 1 << 20, Blocks: 32, BlockTimeout: 10 * time.Millisecond, Promisc: true}
}

// MaxFanout bounds the members of one group.
const MaxFanout = 64

func (c *Config) validate() error {
	if c.Interface == "" || len(c.Interface) > 15 {
		return fmt.Errorf("live: bad interface name %q", c.Interface)
	}
	if c.Fanout == 0 {
		c.Fanout = 1
	}
	if c.Fanout < 1 || c.Fanout > MaxFanout {
		return fmt.Errorf("live: fanout %d: must be 1..%d", c.Fanout, MaxFanout)
	}
	def := DefaultConfig(c.Interface)
	if c.BlockSize == 0 {
		c.BlockSize = def.BlockSize
	}
	if c.Blocks == 0 {
		c.Blocks = def.Blocks
	}
	if c.BlockTimeout == 0 {
		c.BlockTimeout = def.BlockTimeout
	}
	if c.BlockSize < 64<<10 || c.BlockSize > 64<<20 || c.BlockSize&(c.BlockSize-1) != 0 {
		return fmt.Errorf("live: block size %d: must be a power of two from 64 KiB to 64 MiB", c.BlockSize)
	}
	if c.Blocks < 2 || c.Blocks > 4096 || int64(c.Blocks)*int64(c.BlockSize) > 1<<30 {
		return fmt.Errorf("live: %d blocks of %d bytes: need 2..4096 blocks and at most 1 GiB per ring", c.Blocks, c.BlockSize)
	}
	if c.BlockTimeout < time.Millisecond || c.BlockTimeout > 50*time.Millisecond {
		return fmt.Errorf("live: block timeout %v: must be 1..50 ms", c.BlockTimeout)
	}
	return nil
}

// Stats are a group's (or a member's) counters.
type Stats struct {
	Interface string
	Members   int
	capture.LiveStats
	// Frames: packets handed to the readers; Corrupt: ring blocks or
	// headers found inconsistent (skipped).
	Frames, Corrupt uint64
	// Newest is the time of the newest packet handed to a reader (ring
	// block granularity; Unix ns, 0 before the first); Idle says every
	// member found its ring empty at its last look.
	Newest int64
	Idle   bool
}

// Lag is how far behind the readers are at now: now minus the newest
// packet's time, 0 when the rings were empty at the last look or before
// any packet.
func (s *Stats) Lag(now time.Time) time.Duration {
	if s.Idle || s.Newest == 0 {
		return 0
	}
	return max(now.Sub(time.Unix(0, s.Newest)), 0)
}

// ErrUnsupported is returned by Open where live capture is not available.
var ErrUnsupported = errors.New("live: live capture needs Linux (AF_PACKET)")
