//go:build !purego

package prefetch

// Lines asks the CPU to bring every cache line of b into its caches
// (PREFETCHT0, prefetch_amd64.s) and returns at once. A prefetch never
// faults, whatever the address: a page that is gone is not fetched.
//
//go:noescape
func Lines(b []byte)
