//go:build linux

package live

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// noOutgoing is a classic BPF program that drops the packets a host sends
// (packet type PACKET_OUTGOING, read from the kernel's ancillary data) and
// keeps the others whole.
var noOutgoing = func() unix.SockFprog {
	const skfAdPktType = 0xfffff000 + 4 // SKF_AD_OFF + SKF_AD_PKTTYPE
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: skfAdPktType},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.PACKET_OUTGOING},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff},
	}
	return unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
}()

// pollMillis is how long Next waits for a block before it returns
// capture.ErrIdle; it bounds how long Close takes to be noticed.
const pollMillis = 100

// Group is one interface's fanout group.
type Group struct {
	cfg     Config
	members []*Member
}

// Member is one ring of a group; it implements capture.Source. Next must
// be called from one goroutine at a time; Close, Stats and LiveStats from
// any.
type Member struct {
	name    string
	iface   string
	ifindex int // the interface bound to
	link    decode.LinkType
	// down: the interface went down (socketError); while it is, Next
	// checks that it still exists (bound) at each poll timeout, as its
	// deletion raises no new socket error.
	down bool

	// Read by Next only.
	ring      []byte
	blockSize int
	nBlocks   int
	blk       int  // the block being read (or waited for)
	inBlock   bool // blk is user space's and being walked
	it        blockIter
	pkt       packet
	pfd       [1]unix.PollFd
	skipOut   bool   // loopback: drop the outgoing copy of each packet
	nFrames   uint64 // frames returned
	// After Close: draining what the ring holds (drainLeft more blocks;
	// drainWait: may still wait once for the block being filled); ended:
	// io.EOF returned, the ring freed.
	draining, drainWait, ended bool
	idleSaid                   bool // ErrIdle returned since the last block
	drainLeft                  int
	blockTimeout               time.Duration
	// Published for Stats at block boundaries and idle returns.
	frames    atomic.Uint64
	corrupt   atomic.Uint64
	newest    atomic.Int64
	idle      atomic.Bool
	closed    atomic.Bool
	releaseMu sync.Mutex // guards fd, released and stats
	fd        int
	released  bool
	stats     capture.LiveStats
}

// Open opens cfg.Interface as a fanout group of cfg.Fanout members. All
// members are bound and joined before any of them sees a packet, so no
// packet is delivered twice.
func Open(cfg Config) (*Group, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ifindex, hatype, err := ifaceInfo(cfg.Interface)
	if err != nil {
		return nil, err
	}
	sockType, link := unix.SOCK_RAW, decode.LinkEthernet
	switch hatype {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
	case unix.ARPHRD_IEEE80211_RADIOTAP:
		link = decode.LinkRadiotap
	case unix.ARPHRD_IEEE80211:
		link = decode.LinkIEEE80211
	default:
		// Tunnels, PPP, WireGuard, raw IP devices…: the kernel strips
		// whatever link header there is and the frame starts at IP.
		sockType, link = unix.SOCK_DGRAM, decode.LinkRaw
	}
	g := &Group{cfg: cfg}
	fail := func(err error) (*Group, error) {
		for _, m := range g.members {
			m.release()
		}
		return nil, err
	}
	fanoutID := -1
	for i := 0; i < cfg.Fanout; i++ {
		m, err := openMember(cfg, ifindex, sockType, hatype == unix.ARPHRD_LOOPBACK)
		if err != nil {
			return fail(err)
		}
		m.link = link
		m.it.vlan = link == decode.LinkEthernet
		m.name = cfg.Interface
		if cfg.Fanout > 1 {
			m.name = fmt.Sprintf("%s#%d", cfg.Interface, i)
		}
		g.members = append(g.members, m)
		if fanoutID, err = joinFanout(m.fd, fanoutID, cfg.KernelDefrag); err != nil {
			return fail(fmt.Errorf("live: %s: join fanout group: %w", cfg.Interface, err))
		}
	}
	// Every member is in the group: zero the counters (the kernel resets
	// them when read) and let packets in.
	for _, m := range g.members {
		unix.GetsockoptTpacketStatsV3(m.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	}
	for _, m := range g.members {
		if err := m.letIn(); err != nil {
			return fail(fmt.Errorf("live: %s: %w", cfg.Interface, err))
		}
	}
	return g, nil
}

// letIn replaces the filter that keeps packets out while the group is
// made: with none, or on loopback with noOutgoing, which drops the
// outgoing copy of each packet in the kernel before it is counted, so
// that "packets reached the capture" and drops are of the packets
// analysed (Next still drops such copies, should any come).
func (m *Member) letIn() error {
	if m.skipOut {
		if err := unix.SetsockoptSockFprog(m.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &noOutgoing); err != nil {
			return fmt.Errorf("outgoing filter: %w", err)
		}
		return nil
	}
	if err := unix.SetsockoptInt(m.fd, unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0); err != nil {
		return fmt.Errorf("detach filter: %w", err)
	}
	return nil
}

// ifaceInfo returns the interface's index and hardware (ARPHRD) type, in
// the network namespace of the calling thread.
func ifaceInfo(name string) (int, uint16, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("live: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, 0, fmt.Errorf("live: interface %q: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return 0, 0, fmt.Errorf("live: no interface %q", name)
		}
		return 0, 0, fmt.Errorf("live: interface %q: %w", name, err)
	}
	index := int(ifr.Uint32())
	ifr, _ = unix.NewIfreq(name)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, 0, fmt.Errorf("live: interface %q: hardware type: %w", name, err)
	}
	return index, ifr.Uint16(), nil // sa_family of ifr_hwaddr
}

// openMember makes one bound ring that drops everything until its filter
// is detached.
func openMember(cfg Config, ifindex, sockType int, loopback bool) (m *Member, err error) {
	// Protocol 0: no packet arrives before bind.
	fd, err := unix.Socket(unix.AF_PACKET, sockType|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("live: %s: capture needs root or CAP_NET_RAW: %w", cfg.Interface, err)
		}
		return nil, fmt.Errorf("live: %s: packet socket: %w", cfg.Interface, err)
	}
	m = &Member{fd: fd, iface: cfg.Interface, ifindex: ifindex, blockSize: cfg.BlockSize, nBlocks: cfg.Blocks, blockTimeout: cfg.BlockTimeout}
	defer func() {
		if err != nil {
			m.release()
			m = nil
		}
	}()
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("live: %s: %s: %w", cfg.Interface, what, err)
		}
		return nil
	}
	// Drop everything until the whole group is formed (see Open).
	if err := step("filter", dropAll(fd)); err != nil {
		return nil, err
	}
	if err := step("TPACKET_V3", unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3)); err != nil {
		return nil, err
	}
	const frameSize = 2048 // V3 only checks it; a packet may take a whole block
	req := unix.TpacketReq3{
		Block_size: uint32(cfg.BlockSize), Block_nr: uint32(cfg.Blocks),
		Frame_size: frameSize, Frame_nr: uint32(cfg.BlockSize / frameSize * cfg.Blocks),
		Retire_blk_tov: uint32(cfg.BlockTimeout / time.Millisecond),
	}
	if err := step("ring", unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req)); err != nil {
		return nil, err
	}
	ring, err := unix.Mmap(fd, 0, cfg.BlockSize*cfg.Blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err := step("map ring", err); err != nil {
		return nil, err
	}
	m.ring = ring
	if loopback {
		// Each packet on lo passes the tap twice (sent, received). The
		// socket option does not hold once the socket is in a fanout
		// group (the group's hook is used, and it has its own flag), so
		// the outgoing copies are also dropped here, by packet type.
		_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		m.skipOut = true // and by a filter in the kernel, once the group is made (Open)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := step("bind", unix.Bind(fd, sa)); err != nil {
		return nil, err
	}
	if cfg.Promisc {
		mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := step("promiscuous mode", unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq)); err != nil {
			return nil, err
		}
	}
	m.pfd[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}
	return m, nil
}

// joinFanout joins fd to the group id, or makes a group with an id the
// kernel picks when id < 0; it returns the group's id.
func joinFanout(fd, id int, defrag bool) (int, error) {
	typ := unix.PACKET_FANOUT_HASH
	if defrag {
		typ |= unix.PACKET_FANOUT_FLAG_DEFRAG
	}
	if id >= 0 {
		return id, unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, id|typ<<16)
	}
	err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, (typ|unix.PACKET_FANOUT_FLAG_UNIQUEID)<<16)
	if err == nil {
		v, err := unix.GetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
		return v & 0xffff, err
	}
	// Kernels before 4.20 cannot pick: try ids derived from the process
	// until one is free (a taken id with other settings is refused).
	base := os.Getpid() & 0xffff
	for i := 0; i < 64; i++ {
		id = (base + i*0x9e5) & 0xffff
		if err = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, id|typ<<16); err == nil {
			return id, nil
		}
	}
	return -1, err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// dropAll attaches a filter that lets no packet into the ring.
func dropAll(fd int) error {
	drop := []unix.SockFilter{{Code: 0x06, K: 0}} // BPF_RET|BPF_K 0
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: 1, Filter: &drop[0]})
}

// Sources returns the members as capture sources, one reader each.
func (g *Group) Sources() []capture.Source {
	out := make([]capture.Source, len(g.members))
	for i, m := range g.members {
		out[i] = m
	}
	return out
}

// Members returns the members.
func (g *Group) Members() []*Member { return g.members }

// Stats sums the members' counters.
func (g *Group) Stats() Stats {
	s := Stats{Interface: g.cfg.Interface, Members: len(g.members), Idle: true}
	for _, m := range g.members {
		ms := m.Stats()
		s.Packets += ms.Packets
		s.Drops += ms.Drops
		s.Freezes += ms.Freezes
		s.Frames += ms.Frames
		s.Corrupt += ms.Corrupt
		s.Newest = max(s.Newest, ms.Newest)
		s.Idle = s.Idle && ms.Idle
	}
	return s
}

// Stop makes every member's Next return io.EOF within about 100 ms. It
// may be called from any goroutine, more than once.
func (g *Group) Stop() {
	for _, m := range g.members {
		m.Close()
	}
}

// Close stops the group and frees the rings and sockets the readers' last
// Next calls did not free. Call it once no Next is running.
func (g *Group) Close() error {
	g.Stop()
	for _, m := range g.members {
		m.release()
	}
	return nil
}

// Next implements capture.Source.
func (m *Member) Next(f *capture.Frame) error {
	for {
		if m.ended {
			return io.EOF
		}
		if !m.draining && m.closed.Load() {
			// Closed: hand out what the ring already holds (the kernel
			// adds nothing more, see Close), at most one ring's worth,
			// then end.
			m.draining, m.drainLeft, m.drainWait = true, m.nBlocks, true
		}
		if m.inBlock {
			p := &m.pkt
			if m.it.next(p) {
				if m.skipOut && p.pktType == pktOutgoing {
					continue
				}
				f.TS, f.Data, f.OrigLen, f.LinkType = p.ts, p.data, p.origLen, m.link
				f.SkipChecksum = p.status&(statusCsumNotRdy|statusCsumValid) != 0
				m.nFrames++
				return nil
			}
			m.giveBack()
		}
		if m.draining {
			if m.drainLeft > 0 && m.take() {
				m.drainLeft--
				continue
			}
			if m.drainLeft > 0 && m.drainWait {
				// The block being filled is handed over at its timeout.
				m.drainWait = false
				unix.Poll(m.pfd[:], int(m.blockTimeout/time.Millisecond)+20)
				continue
			}
			m.publish()
			m.ended = true
			m.release()
			return io.EOF
		}
		if m.take() {
			continue
		}
		m.publish()
		m.idle.Store(true)
		if !m.idleSaid {
			// Caught up: say so at once (the caller's clock may move on),
			// then wait.
			m.idleSaid = true
			f.TS = m.quietSince()
			return capture.ErrIdle
		}
		n, err := unix.Poll(m.pfd[:], pollMillis)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("live: %s: poll: %w", m.iface, err)
		}
		if m.take() {
			m.down = false
			continue
		}
		if m.down {
			if err := m.bound(); err != nil {
				return err
			}
		}
		if n > 0 && m.pfd[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
			if err := m.socketError(); err != nil {
				return err
			}
		}
		if m.closed.Load() {
			continue
		}
		f.TS = m.quietSince()
		return capture.ErrIdle
	}
}

// quietMargin covers a packet timestamped on arrival but not yet put in
// the ring.
const quietMargin = 10 * time.Millisecond

// quietSince is the time before which the ring has nothing more to hand
// out, when the block the kernel fills next (the current one: every
// earlier one was read) is still empty; 0 when it holds packets not yet
// handed over.
func (m *Member) quietSince() int64 {
	n := atomic.LoadUint32((*uint32)(unsafe.Pointer(&m.ring[m.blk*m.blockSize+offNumPkts])))
	if n != 0 || atomic.LoadUint32(m.status(m.blk))&statusUser != 0 {
		return 0
	}
	return time.Now().Add(-quietMargin).UnixNano()
}

// block returns block i of the ring.
func (m *Member) block(i int) []byte {
	return m.ring[i*m.blockSize : (i+1)*m.blockSize : (i+1)*m.blockSize]
}

// status is block i's block_status word, shared with the kernel.
func (m *Member) status(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&m.ring[i*m.blockSize+offBlockStatus]))
}

// take starts walking the current block if the kernel handed it over.
func (m *Member) take() bool {
	if atomic.LoadUint32(m.status(m.blk))&statusUser == 0 {
		return false
	}
	b := m.block(m.blk)
	m.inBlock, m.idleSaid = true, false
	m.idle.Store(false)
	if ts := lastTS(b); ts > 0 {
		m.newest.Store(ts)
	}
	m.it.reset(b)
	return true
}

// publish makes Next's counters visible to Stats.
func (m *Member) publish() {
	m.frames.Store(m.nFrames)
	m.corrupt.Store(m.it.bad)
}

// giveBack returns the current block to the kernel and moves on.
func (m *Member) giveBack() {
	atomic.StoreUint32(m.status(m.blk), 0) // TP_STATUS_KERNEL
	m.publish()
	m.inBlock = false
	m.blk++
	if m.blk == m.nBlocks {
		m.blk = 0
	}
}

// socketError reads (and clears) the socket's pending error after poll
// said there is one. The kernel reports ENETDOWN when the interface goes
// down and resumes the capture when it comes back up: Next waits. An
// interface that is gone ends the capture.
func (m *Member) socketError() error {
	e, err := unix.GetsockoptInt(m.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fmt.Errorf("live: %s: %w", m.iface, err)
	}
	if e == 0 {
		return nil
	}
	if err := m.bound(); err != nil {
		return fmt.Errorf("%w (%w)", err, unix.Errno(e))
	}
	m.down = true
	time.Sleep(pollMillis * time.Millisecond) // down: wait, without spinning
	return nil
}

// bound reports an error when the interface the member was bound to is
// gone. The kernel unbinds a packet socket from an interface it deletes
// (its address then names no interface), and does not bind it again to
// one made later under the name, even with the same index: the socket
// would see nothing.
func (m *Member) bound() error {
	if sa, err := unix.Getsockname(m.fd); err == nil {
		if ll, ok := sa.(*unix.SockaddrLinklayer); ok && ll.Ifindex == m.ifindex {
			return nil
		}
	}
	ifr, err := unix.NewIfreq(m.iface)
	if err == nil && unix.IoctlIfreq(m.fd, unix.SIOCGIFINDEX, ifr) == nil {
		return fmt.Errorf("live: %s: the interface was deleted and made again (capture again to follow the new one)", m.iface)
	}
	return fmt.Errorf("live: %s: the interface is gone", m.iface)
}

// Close implements capture.Source: it stops the member. The kernel adds
// no more packets; Next hands out those already in the ring, then returns
// io.EOF (within about 100 ms at rates the reader keeps up with) and
// frees the ring. Safe from any goroutine.
func (m *Member) Close() error {
	if m.closed.Swap(true) {
		return nil
	}
	m.releaseMu.Lock()
	defer m.releaseMu.Unlock()
	if !m.released {
		dropAll(m.fd)
	}
	return nil
}

// release frees the ring and the socket, keeping the final counters. Only
// Next or Group.Close (when no Next runs) call it.
func (m *Member) release() {
	m.releaseMu.Lock()
	defer m.releaseMu.Unlock()
	if m.released {
		return
	}
	m.readStats()
	if m.ring != nil {
		unix.Munmap(m.ring)
		m.ring = nil
	}
	unix.Close(m.fd)
	m.fd, m.released = -1, true
}

// readStats adds the kernel's counters since the last read (it resets
// them). releaseMu is held.
func (m *Member) readStats() {
	st, err := unix.GetsockoptTpacketStatsV3(m.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return
	}
	// tp_packets counts every packet that reached the socket, the
	// dropped ones too.
	m.stats.Packets += uint64(st.Packets)
	m.stats.Drops += uint64(st.Drops)
	m.stats.Freezes += uint64(st.Freeze_q_cnt)
}

// LiveStats implements capture.StatsSource.
func (m *Member) LiveStats() capture.LiveStats {
	m.releaseMu.Lock()
	defer m.releaseMu.Unlock()
	if !m.released {
		m.readStats()
	}
	return m.stats
}

// Stats returns the member's counters.
func (m *Member) Stats() Stats {
	ls := m.LiveStats()
	return Stats{Interface: m.iface, Members: 1, LiveStats: ls, Frames: m.frames.Load(), Corrupt: m.corrupt.Load(),
		Newest: m.newest.Load(), Idle: m.idle.Load() || m.closed.Load()}
}

// Name implements capture.Source: the interface, with #N for a member of
// a group of several.
func (m *Member) Name() string { return m.name }

// Offset implements capture.Source: frames read so far.
func (m *Member) Offset() int64 { return int64(m.nFrames) }

// Progress implements capture.Source: a live capture has no total.
func (m *Member) Progress() (done, total int64) { return 0, 0 }
