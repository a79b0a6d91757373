//go:build !amd64 || purego

package capture

// prefetch does nothing where there is no assembly for it.
func prefetch(b []byte) {}
