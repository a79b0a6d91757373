package analyze

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// reviewTCP builds an IPv4/TCP packet 10.0.0.1:40000 -> 10.0.0.2:80 (or
// the reverse when back is set) with a correct checksum.
func reviewTCP(back bool, seq, ack uint32, flags byte, payload []byte) []byte {
	ip := make([]byte, 40+len(payload))
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[8] = 64
	ip[9] = 6
	src, dst := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	sp, dp := uint16(40000), uint16(80)
	if back {
		src, dst, sp, dp = dst, src, dp, sp
	}
	copy(ip[12:], src)
	copy(ip[16:], dst)
	binary.BigEndian.PutUint16(ip[10:], reviewSum(ip[:20], 0))
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], sp)
	binary.BigEndian.PutUint16(tcp[2:], dp)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	copy(tcp[20:], payload)
	var pseudo uint32
	for i := 12; i < 20; i += 2 {
		pseudo += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	pseudo += 6 + uint32(len(tcp))
	binary.BigEndian.PutUint16(tcp[16:], reviewSum(tcp, pseudo))
	return ethFrame(0x0800, ip)
}

func reviewSum(b []byte, s uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// peakHeap runs f and returns the highest HeapInuse sampled meanwhile.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak.Load()
}

// TestReviewHeldRecordsBoundedByBytes: one HTTP connection whose 150
// full-size segments each carry ~3500 minimal pipelined requests (a 9.6 MB
// capture, all within one sweep interval) makes ~530k http records. The
// ordered writer holds every record until the next sweep, and sweeps come
// only every sweepFrames (65536) frames or expireEvery of capture time, so
// the records held are bounded by frames, not bytes: memory grows with
// records per frame, which the sender controls. The heap must stay well
// below the ~300+ MB it reaches now.
func TestReviewHeldRecordsBoundedByBytes(t *testing.T) {
	req := []byte("GET / HTTP/1.1\r\n\r\n")
	payload := bytes.Repeat(req, 64000/len(req))
	const isn, sisn = 1000, 5000
	frames := [][]byte{
		reviewTCP(false, isn, 0, 0x02, nil),
		reviewTCP(true, sisn, isn+1, 0x12, nil),
		reviewTCP(false, isn+1, sisn+1, 0x10, nil),
	}
	seq := uint32(isn + 1)
	for i := 0; i < 150; i++ {
		frames = append(frames, reviewTCP(false, seq, sisn+1, 0x18, payload))
		seq += uint32(len(payload))
	}
	steps := make([]int64, len(frames))
	for i := range steps {
		steps[i] = int64(10 * time.Microsecond)
	}
	path := filepath.Join(t.TempDir(), "pipelined.pcap")
	writePcapSteps(t, path, steps, frames)
	frames = nil
	cfg := DefaultConfig()
	cfg.Workers = 1
	var sum *Summary
	peak := peakHeap(func() { sum, _ = runTo(t, cfg, path) })
	t.Logf("records %v, peak heap %d MiB", sum.Records, peak>>20)
	if peak > 128<<20 {
		t.Fatalf("peak heap %d MiB for a 9.6 MB capture of one connection: the writer holds records by frame count, not by bytes", peak>>20)
	}
}

// TestReviewTSVMalformedRowsReported: a Zeek TSV conn.log whose rows do
// not match its #fields line (3 cells of 8, 12 cells of 8) or are binary
// garbage is read without a word: every such row becomes a record (cells
// beyond #fields dropped, missing ones left out, "ts" written as a
// string), while the JSON and EVE readers count and report the lines
// they skip. A malformed row must be reported (the run's error names the
// file and the first bad line) rather than turned into a record.
func TestReviewTSVMalformedRowsReported(t *testing.T) {
	dir := t.TempDir()
	log := writeFile(t, dir, "conn.log", tsvConnRows(
		"100.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n",
		"101.0\tCb\t10.0.0.1\n",
		"1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\n",
		"\x91\xd8\xcd\xc3\x10A\x1e~\xc2sx\xa6a\xc95\x18|\x07\xe4\n",
		"102.0\tCc\t10.0.0.1\t5001\t10.0.0.2\t22\ttcp\t5.0\n",
	))
	n, err := readLogs(t.Context(), []string{log}, newLogSink(nil, newHostStats()), nil)
	t.Logf("records %d, err %v", n, err)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "line") {
		t.Fatalf("3 malformed rows of 5: %d records read, error %v; want the 2 good rows and an error naming the first bad line", n, err)
	}
}

// TestReviewTSVLongLineKeepsReading: one line over the reader's 16 MiB
// bound in a Zeek TSV log ends the whole file with "bufio.Scanner: token
// too long" (no line number) and loses every row after it, where the EVE
// reader skips such a line, counts it and reads on. The rows after the
// over-long line must be read and the error name the line.
func TestReviewTSVLongLineKeepsReading(t *testing.T) {
	dir := t.TempDir()
	log := writeFile(t, dir, "conn.log", tsvConnRows(
		"100.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n",
		"101.0\tC"+strings.Repeat("A", 17<<20)+"\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1.0\n",
		"102.0\tCc\t10.0.0.1\t5001\t10.0.0.2\t22\ttcp\t5.0\n",
	))
	n, err := readLogs(t.Context(), []string{log}, newLogSink(nil, newHostStats()), nil)
	t.Logf("records %d, err %v", n, err)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "line 9") {
		t.Fatalf("a 17 MiB row between two good ones: %d records read, error %v; want 2 records and an error naming line 9", n, err)
	}
}

// TestReviewTSVSetCellAllocation: one Zeek TSV cell of a set type that
// holds 8M empty elements (8 MiB of commas, within the 16 MiB line bound)
// is split with strings.Split into an 8M-entry []string (128 MiB) before
// it is written, and the JSON line grows by doubling: ~200 MiB allocated
// for an 8 MiB line (end to end, a 15 MiB line of commas takes vigil
// analyze to ~890 MB RSS; the line is also converted twice, once by
// firstKey). Converting a row must allocate in proportion to the row: here
// at most 16 times its size (reading the line and writing a 24 MiB record
// take ~90 MiB without the split).
func TestReviewTSVSetCellAllocation(t *testing.T) {
	dir := t.TempDir()
	head := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
		"#fields\tts\tuid\ttunnel_parents\n#types\ttime\tstring\tset[string]\n"
	cell := strings.Repeat(",", 8<<20)
	log := writeFile(t, dir, "conn.log", head+"100.0\tCa\t"+cell+"\n")
	src, err := openLogSource(log, formatOf(log), new(atomic.Int64))
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var it logItem
	if err := src.items.read(&it); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("line %d MiB, record %d MiB, %d MiB allocated", len(cell)>>20, len(it.line)>>20, alloc>>20)
	if alloc > 16*uint64(len(cell)) {
		t.Fatalf("converting one %d MiB TSV row allocated %d MiB (strings.Split of the set cell)", len(cell)>>20, alloc>>20)
	}
}

// TestReviewEVEArrayAllocation: an EVE dns event whose "answers" array
// holds 2.8M empty objects (8 MiB, within the 16 MiB line bound) is
// turned into a [][]byte of every element by rec.Elements (slices grown by
// doubling) before the answers are walked: ~420 MiB allocated for an 8
// MiB line (end to end, a 15 MiB such line takes vigil analyze to ~770 MB
// RSS, the line being converted twice, once by firstKey). Converting an
// event must allocate in proportion to it: here at most 16 times its size.
func TestReviewEVEArrayAllocation(t *testing.T) {
	dir := t.TempDir()
	arr := strings.Repeat("{},", 8<<20/3) + "{}"
	line := `{"timestamp":"2024-01-01T00:00:00.000000+0000","event_type":"dns","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":53,"proto":"UDP","dns":{"type":"answer","rrname":"a.example","answers":[` + arr + `]}}` + "\n"
	log := writeFile(t, dir, "eve.json", line)
	src, err := openLogSource(log, formatOf(log), new(atomic.Int64))
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var it logItem
	if err := src.items.read(&it); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("line %d MiB, %d MiB allocated", len(line)>>20, alloc>>20)
	if alloc > 16*uint64(len(line)) {
		t.Fatalf("converting one %d MiB EVE line allocated %d MiB (rec.Elements of the answers array)", len(line)>>20, alloc>>20)
	}
}

// TestReviewJSONLongLineKeepsReading: the Zeek JSON reader has the same
// flaw as the TSV one with its 4 MiB line bound: one 5 MiB line ends the
// file with "bufio.Scanner: token too long" and the records after it are
// lost, though the reader already skips and counts lines that are not
// JSON objects. The over-long line must be skipped and counted like them.
func TestReviewJSONLongLineKeepsReading(t *testing.T) {
	dir := t.TempDir()
	log := writeFile(t, dir, "ssh.log",
		`{"ts":100.0,"uid":"Ca","id.orig_h":"10.0.0.1"}`+"\n"+
			`{"ts":101.0,"uid":"C`+strings.Repeat("A", 5<<20)+`"}`+"\n"+
			`{"ts":102.0,"uid":"Cc","id.orig_h":"10.0.0.1"}`+"\n")
	n, err := readLogs(t.Context(), []string{log}, newLogSink(nil, newHostStats()), nil)
	t.Logf("records %d, err %v", n, err)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a 5 MiB JSON line between two good ones: %d records read, error %v; want 2 records and an error naming line 2", n, err)
	}
}
