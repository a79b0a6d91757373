package analyze

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// scriptEvent is one step of a scriptSource: a frame at ts, or (frame nil)
// the ring idle up to ts; after it, signal is closed or wait awaited.
type scriptEvent struct {
	ts     int64
	frame  []byte
	signal chan struct{}
	wait   chan struct{}
}

// scriptSource hands out a live ring's frames and idle clock as its
// script says, then stays idle at the script's last time until closed.
type scriptSource struct {
	name   string
	events []scriptEvent
	i      int
	last   int64
	closed atomic.Bool
}

func (s *scriptSource) Next(f *capture.Frame) error {
	if s.closed.Load() {
		return io.EOF
	}
	if s.i == len(s.events) {
		time.Sleep(5 * time.Millisecond)
		f.TS = s.last
		return capture.ErrIdle
	}
	ev := s.events[s.i]
	s.i++
	if ev.wait != nil {
		<-ev.wait
	}
	if ev.signal != nil {
		close(ev.signal)
	}
	s.last = ev.ts
	if ev.frame == nil {
		f.TS = ev.ts
		return capture.ErrIdle
	}
	*f = capture.Frame{TS: ev.ts, Data: ev.frame, OrigLen: len(ev.frame), LinkType: decode.LinkRaw, SkipChecksum: true}
	return nil
}

func (s *scriptSource) Name() string             { return s.name }
func (s *scriptSource) Offset() int64            { return int64(s.i) }
func (s *scriptSource) Progress() (int64, int64) { return 0, 0 }
func (s *scriptSource) Close() error             { s.closed.Store(true); return nil }

// udpFrame is a raw IPv4 UDP datagram 10.0.0.src:5000 -> 10.0.0.dst:9999
// with 20 bytes of payload (no transport checksum: the frames skip it).
func udpFrame(src, dst byte) []byte {
	return ipv4UDP([4]byte{10, 0, 0, src}, [4]byte{10, 0, 0, dst}, 5000, 9999, make([]byte, 20))
}

// ipv4UDP is a raw IPv4 UDP datagram src:sport -> dst:dport carrying
// payload, its UDP checksum 0 (none, valid over IPv4).
func ipv4UDP(src, dst [4]byte, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 20+8, 20+8+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(20+8+len(payload)))
	b[8] = 64
	b[9] = decode.ProtoUDP
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	setIPv4Checksum(b)
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	return append(b, payload...)
}

// setIPv4Checksum fills in the checksum of the IPv4 header (20 bytes,
// its checksum field zero) at the start of b.
func setIPv4Checksum(b []byte) {
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
}

// idleTo appends idle marks every step from from (exclusive) to to.
func idleTo(evs []scriptEvent, from, to, step int64) []scriptEvent {
	for t := from + step; t <= to; t += step {
		evs = append(evs, scriptEvent{ts: t})
	}
	return evs
}

// runScripts runs a live run over the scripted sources, waits (real time,
// at most 10 s) until conn.log holds want records, ends the run and
// returns conn.log's records then and at the end.
func runScripts(t *testing.T, want int, srcs ...*scriptSource) (during, after []map[string]any) {
	t.Helper()
	return runScriptsLog(t, "conn.log", want, srcs...)
}

// runScriptsLog is runScripts waiting for, and returning, the log file.
func runScriptsLog(t *testing.T, file string, want int, srcs ...*scriptSource) (during, after []map[string]any) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Workers = 2
	cfg.OutDir = filepath.Join(t.TempDir(), "live")
	in := make([]capture.Source, len(srcs))
	for i, s := range srcs {
		in[i] = s
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := RunLive(ctx, cfg, in)
		done <- err
	}()
	log := filepath.Join(cfg.OutDir, file)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if countLines(t, log) >= want {
			break
		}
	}
	if _, err := os.Stat(log); err == nil {
		during = readLog(t, log)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return during, readLog(t, log)
}

func connsFrom(recs []map[string]any, host string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["id.orig_h"] == host {
			out = append(out, r)
		}
	}
	return out
}

// TestLiveClockStepBackExpiresConnections: a sensor boots with its clock
// two hours ahead (a hardware clock kept in local time east of UTC, read
// as UTC) and captures; NTP then steps the clock back two hours. The
// kernel stamps packets with the system clock, and an idle ring's clock
// is the wall clock, so the capture's time goes back two hours. A UDP
// exchange that began before the step and goes on after it, and one that
// begins after it, must end as idle a minute after their last packet (on
// the new clock) and reach conn.log then, the first with its whole
// duration; not two hours later, when the clock has caught up with the
// time before the step (until then no connection would expire and no
// partial batch go out).
func TestLiveClockStepBackExpiresConnections(t *testing.T) {
	sec := int64(time.Second)
	ahead := time.Now().Add(2 * time.Hour).UnixNano()
	var evs []scriptEvent
	for i := int64(0); i < 30; i++ {
		evs = append(evs, scriptEvent{ts: ahead + i*sec, frame: udpFrame(1, 2)})
		evs = append(evs, scriptEvent{ts: ahead + i*sec + sec/2})
	}
	now := ahead + 30*sec - 2*3600*sec // NTP steps the clock back
	evs = append(evs, scriptEvent{ts: now, frame: udpFrame(1, 2)})
	evs = append(evs, scriptEvent{ts: now + sec, frame: udpFrame(3, 4)})
	evs = idleTo(evs, now+sec, now+180*sec, sec/10)
	during, after := runScripts(t, 2, &scriptSource{name: "ring#0", events: evs})
	for _, h := range []string{"10.0.0.1", "10.0.0.3"} {
		if len(connsFrom(during, h)) != 1 {
			t.Errorf("%s: %d records in conn.log 3 minutes after the clock stepped back (want 1, expired as idle)", h, len(connsFrom(during, h)))
		}
		if n := len(connsFrom(after, h)); n != 1 {
			t.Errorf("%s: %d records at the end, want 1", h, n)
		}
	}
	if old := connsFrom(after, "10.0.0.1"); len(old) == 1 {
		if d, _ := old[0]["duration"].(float64); d < 29 || d > 31.5 {
			t.Errorf("the connection open across the step lasted %v s (31 packets a second apart); record %v", old[0]["duration"], old[0])
		}
	}
}

// TestLiveClockStepBackTwoRings: as above with two rings of a fanout
// group; the second follows the step a little after the first and hands
// out one more packet stamped before the step after the first has
// stepped. A connection that goes on a packet a second across the step
// (on the first ring) must stay one connection: neither the straggler
// nor the step may end it as idle.
func TestLiveClockStepBackTwoRings(t *testing.T) {
	sec := int64(time.Second)
	ahead := time.Now().Add(2 * time.Hour).UnixNano()
	// The rings keep in step as live rings do (within a second), except
	// for the straggler.
	bReady, stepped := make(chan struct{}), make(chan struct{})
	var a, b []scriptEvent
	for i := int64(0); i < 20; i++ {
		a = append(a, scriptEvent{ts: ahead + i*sec, frame: udpFrame(1, 2)})
		a = idleTo(a, ahead+i*sec, ahead+i*sec+sec-sec/10, sec/10)
		b = append(b, scriptEvent{ts: ahead + i*sec + sec/3, frame: udpFrame(5, 6)})
		b = idleTo(b, ahead+i*sec+sec/3, ahead+i*sec+sec-sec/10, sec/10)
	}
	b[len(b)-1].signal = bReady
	a[len(a)-1].wait = bReady
	now := ahead + 20*sec - 2*3600*sec
	for i := int64(0); i < 20; i++ {
		a = append(a, scriptEvent{ts: now + i*sec, frame: udpFrame(1, 2)})
		if i == 2 {
			a[len(a)-1].signal = stepped
		}
		a = idleTo(a, now+i*sec, now+i*sec+sec-sec/10, sec/10)
	}
	a = idleTo(a, now+19*sec+sec-sec/10, now+200*sec, sec/10)
	// The second ring: one more packet stamped before the step, handed
	// out once the first has stepped, then the new clock.
	b = append(b, scriptEvent{ts: ahead + 20*sec, frame: udpFrame(5, 6), wait: stepped})
	b = idleTo(b, now+3*sec-sec/10, now+200*sec, sec/10)
	during, after := runScripts(t, 2, &scriptSource{name: "ring#0", events: a}, &scriptSource{name: "ring#1", events: b})
	if n := len(connsFrom(after, "10.0.0.1")); n != 1 {
		t.Errorf("the connection open across the step has %d records, want 1: %v", n, connsFrom(after, "10.0.0.1"))
	} else if d, _ := connsFrom(after, "10.0.0.1")[0]["duration"].(float64); d < 38 || d > 40.5 {
		t.Errorf("the connection open across the step lasted %v s (40 packets a second apart): %v", d, connsFrom(after, "10.0.0.1"))
	}
	for _, h := range []string{"10.0.0.1", "10.0.0.5"} {
		if len(connsFrom(during, h)) != 1 {
			t.Errorf("%s: %d records in conn.log 3 minutes after the step, want 1", h, len(connsFrom(during, h)))
		}
	}
}

// TestLiveClockJumpsForward: a laptop sensor is suspended and resumes 8
// hours later: every connection idle meanwhile ends at once, each once,
// and the run goes on (nothing runs once per missed second).
func TestLiveClockJumpsForward(t *testing.T) {
	sec := int64(time.Second)
	start := time.Now().Add(-8 * time.Hour).UnixNano()
	var evs []scriptEvent
	for i := int64(0); i < 10; i++ {
		evs = append(evs, scriptEvent{ts: start + i*sec, frame: udpFrame(byte(10+i), 2)})
		evs = idleTo(evs, start+i*sec, start+i*sec+sec-sec/10, sec/10)
	}
	resume := start + 8*3600*sec
	evs = append(evs, scriptEvent{ts: resume, frame: udpFrame(1, 2)})
	evs = idleTo(evs, resume, resume+2*sec, sec/10)
	t0 := time.Now()
	during, after := runScripts(t, 10, &scriptSource{name: "ring#0", events: evs})
	if len(during) != 10 {
		t.Errorf("%d records in conn.log after the resume, want the 10 idle connections", len(during))
	}
	if len(after) != 11 {
		t.Errorf("%d records at the end, want 11", len(after))
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("the run took %v", el)
	}
}
