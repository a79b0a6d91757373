//go:build !purego

package capture

// prefetch asks the CPU to bring b's cache lines in (prefetch_amd64.s).
//
//go:noescape
func prefetch(b []byte)
