package hugeheap

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

func advise(n int) (int, error) {
	// The collector stays off while the block is allocated, so that it
	// does not start a cycle of its own before the block is dropped.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// A large block is a span of its own, mapped from fresh heap address
	// space and page-aligned; the runtime does not zero or touch it.
	block := make([]byte, n)
	err := unix.Madvise(block, unix.MADV_HUGEPAGE)
	block = nil
	runtime.GC() // frees the block's span for the heap to grow into
	if err != nil {
		return 0, fmt.Errorf("hugeheap: madvise: %w", err)
	}
	return n, nil
}
