// Package hugeheap asks the kernel to back the Go heap's growth with
// transparent huge pages, for a batch run whose heap only grows.
//
// On Linux with transparent huge pages in "madvise" mode (Debian's and
// Ubuntu's default), the Go runtime maps its heap in 4 KiB pages, and
// every page the heap grows into costs a page fault: on the 2-core VM of
// the benchmark, 11 µs each, 0.19 s of a 1.3 s analysis of the benchmark
// capture. A region advised with MADV_HUGEPAGE is faulted in 2 MiB at a
// time instead. What that saves depends on the host: on a freshly booted
// VM that reports free memory back to its host, huge pages come from
// memory the host must fault in again while the kernel zeroes them, and
// the same analysis took 5–20% more CPU advised (docs/PERFORMANCE.md).
// vigil analyze advises only when VIGIL_HUGEPAGES=1 asks for it.
//
// The runtime offers no such setting (it stopped advising huge pages in Go
// 1.21.4, for long-running servers whose sparse heaps they bloated), so
// Advise makes room for the heap to grow into: it allocates one large
// block, which the runtime maps but does not touch, advises it, and frees
// it with a collection. The runtime then carves its next spans from that
// address range, lowest addresses first, and the advice stays with the
// mapping.
package hugeheap

// Advise reserves about n bytes of heap address space for the heap's
// growth, advised for huge pages, and returns how many bytes were advised
// (0 where the system has no such advice). It runs one garbage collection
// and leaves the collector's settings as they were. Call it once, early,
// before the heap grows; it touches no memory, so the resident size grows
// only as the heap does.
func Advise(n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	return advise(n)
}
