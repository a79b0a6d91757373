package analyze

import (
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/costs"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// Summary is what one run saw, for the one-screen report and for tests.
type Summary struct {
	Inputs      []string
	Elapsed     time.Duration
	Packets     uint64
	Bytes       uint64
	First, Last time.Time

	IPv4Packets, IPv6Packets uint64
	IPv4Bytes, IPv6Bytes     uint64
	NonIPPackets, ARPPackets uint64
	Protocols                []ProtoShare // by innermost transport
	Services                 []Count      // connections per proto/service
	Connections              uint64
	Records                  []Count // application-layer records per log
	LogRecords               uint64  // records read from log inputs
	TopTalkers               []Talker
	Anomalies                []Count // by weird name
	Tunnels                  []Count // packets by tunnel kind
	Fragments, Reassembled   uint64
	TruncatedFrames          uint64
	BadChecksums             uint64 // packets not analysed: wrong IPv4 header or transport checksum

	FlowsEvicted uint64 // ended early because a table was full
	FlowsMaxLive uint64 // peak tracked connections (sum over workers)
	// HeldPeak is the most bytes of records an offline run's writer held
	// at once, to hand them on in event order (0 for live runs).
	HeldPeak      int64
	FragmentDrops uint64 // datagrams dropped by reassembly: caps, timeouts, invalid (overlaps…)
	InternalErrs  uint64 // recovered panics (should be 0)
	BytesPerFlow  int

	// Live: the run captured from interfaces (RunLive); Kernel sums the
	// sources' kernel counters (packets that reached the capture, drops
	// because a ring was full).
	Live   bool
	Kernel capture.LiveStats
	// Notes say what the run passed over on purpose (splitInputs).
	Notes []string
	// Reading is how the large capture files were read, mapped or not, as
	// a trial found cheaper (capture.ReadChoices).
	Reading []capture.ReadChoice

	// Costs is each consumer's time on each log's records, the costliest
	// first (only with Config.Costs).
	Costs []costs.Entry

	// Unordered: live packets a worker handled before every reader's
	// clock had passed them (its merge buffer was full), so possibly out
	// of time order with packets of the same connection from another ring.
	Unordered uint64
}

// ProtoShare is one protocol's packets and bytes.
type ProtoShare struct {
	Name           string
	Packets, Bytes uint64
}

// Count is a named counter.
type Count struct {
	Name  string
	Count uint64
}

// Talker is one host's traffic in connections it took part in.
type Talker struct {
	Addr  netip.Addr
	Bytes uint64
	Conns uint64
}

func (p *pipeline) summary(inputs []string, elapsed time.Duration) *Summary {
	h := newHostStats()
	var rc readerCounts
	s := &Summary{Inputs: inputs, Elapsed: elapsed, LogRecords: p.logRecords}
	for _, rd := range p.readers {
		h.merge(rd.stats)
		rc.add(&rd.sum)
		ds := rd.defrag.Stats()
		s.FragmentDrops += ds.Timeouts + ds.Dropped + ds.Discarded
	}
	for _, wk := range p.workers {
		h.merge(wk.stats)
		st := wk.table.Stats()
		s.FlowsEvicted += st.Evicted
		s.FlowsMaxLive += st.MaxActive
		s.BytesPerFlow = st.BytesPerFlow
		if wk.merge != nil {
			s.Unordered += wk.merge.unordered
		}
	}
	for log, n := range p.out.dropped {
		h.records.add(log, -n) // RecordOnce's repeats: made, not written
	}
	s.Packets = rc.packets
	s.Bytes = rc.bytes
	s.fillReader(&rc)
	ipPkts, ipBytes := h.ipTotals()
	s.IPv4Packets, s.IPv6Packets = ipPkts[0], ipPkts[1]
	s.IPv4Bytes, s.IPv6Bytes = ipBytes[0], ipBytes[1]
	classPkts, classBytes := h.classTotals()
	for c := protoClass(0); c < numClasses; c++ {
		if classPkts[c] > 0 {
			s.Protocols = append(s.Protocols, ProtoShare{classNames[c], classPkts[c], classBytes[c]})
		}
	}
	s.Connections = h.conns
	s.Services = sortedCounts(serviceNames(h.serviceCounts()))
	s.Records = sortedCounts(h.records.counts())
	for _, t := range h.topTalkers(10) {
		s.TopTalkers = append(s.TopTalkers, Talker(t))
	}
	s.InternalErrs = p.panics.Load() + p.out.consumerPanics.Load()
	s.Costs = p.out.costEntries()
	s.HeldPeak = p.out.heldPeak
	if p.live {
		s.Live = true
		s.Kernel, _ = p.kernelStats()
	}
	return s
}

func (s *Summary) fillReader(c *readerCounts) {
	if c.first != 0 {
		s.First, s.Last = time.Unix(0, c.first).UTC(), time.Unix(0, c.last).UTC()
	}
	s.NonIPPackets, s.ARPPackets = c.nonIP, c.arp
	s.Fragments, s.Reassembled = c.fragments, c.reassembled
	s.TruncatedFrames = c.truncatedFrames
	s.BadChecksums = c.badChecksums
	an := map[string]uint64{}
	for k, n := range c.anomalies {
		if n > 0 {
			an[decode.AnomalyKind(k).String()] += n
		}
	}
	s.Anomalies = sortedCounts(an)
	tu := map[string]uint64{}
	for k, n := range c.tunnels {
		if n > 0 {
			tu[decode.TunnelKind(k).String()] += n
		}
	}
	s.Tunnels = sortedCounts(tu)
}

// serviceNames keys the service counts by their names.
func serviceNames(m map[serviceKey]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for k, v := range m {
		out[k.name()] += v
	}
	return out
}

func sortedCounts(m map[string]uint64) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Print writes the one-screen summary.
func (s *Summary) Print(w io.Writer) {
	for _, n := range s.Notes {
		fmt.Fprintf(w, "Note      %s\n", n)
	}
	if s.LogRecords > 0 {
		fmt.Fprintf(w, "Logs in   %d records read from Zeek, JSON and EVE logs\n", s.LogRecords)
		if s.Packets == 0 {
			fmt.Fprintf(w, "Records   %s\n", topCounts(s.Records, 10))
			return
		}
	}
	span := s.Last.Sub(s.First)
	rate := float64(s.Packets) / s.Elapsed.Seconds()
	fmt.Fprintf(w, "Packets   %d (%s) in %s of capture, analysed in %s (%s pkt/s)\n",
		s.Packets, humanBytes(s.Bytes), span.Round(time.Millisecond), s.Elapsed.Round(time.Millisecond), humanCount(rate))
	if !s.First.IsZero() {
		fmt.Fprintf(w, "Span      %s → %s\n", s.First.Format(time.RFC3339Nano), s.Last.Format(time.RFC3339Nano))
	}
	if s.Live {
		fmt.Fprintf(w, "Capture   live on %s: %d packets reached the capture, %d dropped by the kernel (%s; ring full %d times)",
			liveInputs(s.Inputs), s.Kernel.Packets, s.Kernel.Drops, pct(s.Kernel.Drops, s.Kernel.Packets), s.Kernel.Freezes)
		if s.Unordered > 0 {
			fmt.Fprintf(w, "; %d handled before every ring's clock had passed them (merge buffer full)", s.Unordered)
		}
		fmt.Fprintln(w)
	}
	ipTotal := s.IPv4Packets + s.IPv6Packets
	fmt.Fprintf(w, "IP        IPv4 %s of packets (%s), IPv6 %s (%s); non-IP %d (ARP %d)\n",
		pct(s.IPv4Packets, ipTotal), humanBytes(s.IPv4Bytes), pct(s.IPv6Packets, ipTotal), humanBytes(s.IPv6Bytes),
		s.NonIPPackets+s.ARPPackets, s.ARPPackets)
	var parts []string
	for _, p := range s.Protocols {
		parts = append(parts, fmt.Sprintf("%s %s", p.Name, pct(p.Packets, ipTotal)))
	}
	fmt.Fprintf(w, "Protocols %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "Flows     %d connections; %s\n", s.Connections, topCounts(s.Services, 8))
	if len(s.Records) > 0 {
		fmt.Fprintf(w, "Records   %s\n", topCounts(s.Records, 10))
	}
	if len(s.TopTalkers) > 0 {
		fmt.Fprintln(w, "Top talkers (bytes in connections they took part in):")
		for i, t := range s.TopTalkers {
			if i == 5 {
				break
			}
			fmt.Fprintf(w, "  %-40s %10s  %d conns\n", t.Addr, humanBytes(t.Bytes), t.Conns)
		}
	}
	if len(s.Tunnels) > 0 {
		fmt.Fprintf(w, "Tunnels   %s\n", topCounts(s.Tunnels, 8))
	}
	if s.Fragments > 0 {
		fmt.Fprintf(w, "Fragments %d fragments, %d datagrams reassembled, %d dropped\n", s.Fragments, s.Reassembled, s.FragmentDrops)
	}
	var total uint64
	for _, a := range s.Anomalies {
		total += a.Count
	}
	if total > 0 {
		fmt.Fprintf(w, "Anomalies %d: %s\n", total, topCounts(s.Anomalies, 6))
	} else {
		fmt.Fprintln(w, "Anomalies none")
	}
	if s.BadChecksums > 0 {
		fmt.Fprintf(w, "Checksums %d packets (%s) had wrong IPv4 header or transport checksums and were not analysed, as Zeek does", s.BadChecksums, pct(s.BadChecksums, s.Packets))
		if s.BadChecksums*10 > s.Packets {
			fmt.Fprint(w, "; so many usually means the capture was taken with checksum offload: rerun with -C")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Limits    %d flows evicted (table full), peak %d tracked, ~%d B/flow; %d truncated frames; %d internal errors",
		s.FlowsEvicted, s.FlowsMaxLive, s.BytesPerFlow, s.TruncatedFrames, s.InternalErrs)
	if s.HeldPeak > 0 {
		fmt.Fprintf(w, "; records held to order them: at most %.1f MiB", float64(s.HeldPeak)/(1<<20))
	}
	fmt.Fprintln(w)
	s.PrintReading(w)
}

// PrintReading writes the summary's Reading line: how the large capture
// files were read (nothing when none was large enough for a trial).
func (s *Summary) PrintReading(w io.Writer) {
	if r := readingLine(s.Reading); r != "" {
		fmt.Fprintf(w, "Reading   %s\n", r)
	}
}

// readingLine says how the large capture files were read: mapped or read,
// and what the trial measured for one file; "" when no file was tried.
func readingLine(cs []capture.ReadChoice) string {
	const override = "VIGIL_MMAP=0 or 1 chooses instead"
	how := func(c capture.ReadChoice) string {
		if c.Mapped {
			return "mapped"
		}
		return "read"
	}
	switch len(cs) {
	case 0:
		return ""
	case 1:
		c := cs[0]
		switch c.Why {
		case "":
		case "not cached":
			return fmt.Sprintf("read: its first 16 MiB were not in the page cache, so no trial (%s)", override)
		case "cannot map":
			return "read: the file cannot be mapped"
		default:
			return fmt.Sprintf("read: the trial failed (%s; %s)", c.Why, override)
		}
		return fmt.Sprintf("%s, as a trial found cheaper: 4 MiB in %.2f ms mapped, %.2f ms read (%s)", how(c), ms(c.Map), ms(c.Read), override)
	}
	return severalRead(cs, override)
}

// severalRead is readingLine for several large files: how many the trials
// had mapped and read, with the first trial's figures, and apart from
// them how many were read without a trial, and why.
func severalRead(cs []capture.ReadChoice, override string) string {
	mapped, tried, timed := 0, 0, ""
	untried := map[string]int{}
	var why []string // untried's keys, in the order first met
	for _, c := range cs {
		if c.Why != "" {
			if untried[c.Why] == 0 {
				why = append(why, c.Why)
			}
			untried[c.Why]++
			continue
		}
		tried++
		if c.Mapped {
			mapped++
		}
		if timed == "" && c.Read > 0 && !c.Reused {
			timed = fmt.Sprintf("; the first trial: 4 MiB in %.2f ms mapped, %.2f ms read", ms(c.Map), ms(c.Read))
		}
	}
	var parts []string
	if tried > 0 {
		parts = append(parts, fmt.Sprintf("%d large files mapped, %d read, as trials found cheaper%s", mapped, tried-mapped, timed))
	}
	if n := len(cs) - tried; n > 0 {
		reasons := make([]string, len(why))
		for i, w := range why {
			reasons[i] = fmt.Sprintf("%s %d", w, untried[w])
		}
		parts = append(parts, fmt.Sprintf("%d read without a trial (%s)", n, strings.Join(reasons, ", ")))
	}
	return fmt.Sprintf("%s (%s)", strings.Join(parts, "; "), override)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// liveInputs names a live run's interfaces with their ring counts
// ("eth0 (2 rings)") from the sources' names (eth0#0, eth0#1).
func liveInputs(names []string) string {
	var order []string
	rings := map[string]int{}
	for _, n := range names {
		if i := strings.LastIndexByte(n, '#'); i > 0 {
			n = n[:i]
		}
		if rings[n] == 0 {
			order = append(order, n)
		}
		rings[n]++
	}
	for i, n := range order {
		if rings[n] > 1 {
			order[i] = fmt.Sprintf("%s (%d rings)", n, rings[n])
		}
	}
	return strings.Join(order, ", ")
}

func topCounts(cs []Count, n int) string {
	var parts []string
	for i, c := range cs {
		if i == n {
			parts = append(parts, fmt.Sprintf("… %d more", len(cs)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func pct(n, total uint64) string {
	if total == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}

func humanBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}

func humanCount(f float64) string {
	switch {
	case f >= 1e6:
		return fmt.Sprintf("%.2fM", f/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.1fk", f/1e3)
	}
	return fmt.Sprintf("%.0f", f)
}
