package hugeheap

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestAdviseHeapGrowth: after Advise, the heap's next large allocation
// lies in a mapping the kernel marks for huge pages ("hg" in smaps'
// VmFlags), and the collector's target is what it was.
func TestAdviseHeapGrowth(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	advised, err := Advise(64 << 20)
	if err != nil {
		t.Skipf("no huge page advice on this system: %v", err)
	}
	if advised < 64<<20 {
		t.Fatalf("advised %d bytes, want at least %d", advised, 64<<20)
	}
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("collector target after Advise: %d, want 150 as before", got)
	}
	grown := make([]byte, 8<<20)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(grown)))
	flags, ok := vmFlags(t, addr)
	if !ok {
		t.Fatalf("no mapping holds the new block at %#x", addr)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the heap's new block at %#x is in a mapping with VmFlags %q, want hg (huge pages advised)", addr, flags)
	}
}

// vmFlags is the VmFlags line of the mapping of /proc/self/smaps that
// holds addr.
func vmFlags(t *testing.T, addr uintptr) (string, bool) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := mappingRange(line); ok {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), true
		}
	}
	return "", false
}

// mappingRange reads the "lo-hi" address range that opens a mapping's
// entry in smaps.
func mappingRange(line string) (lo, hi uintptr, ok bool) {
	span, _, _ := strings.Cut(line, " ")
	a, b, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
