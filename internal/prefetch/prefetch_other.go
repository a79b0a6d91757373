//go:build !amd64 || purego

package prefetch

// Lines does nothing where there is no assembly for it.
func Lines(b []byte) {}
