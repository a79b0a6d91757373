//go:build !linux

package capture

import (
	"errors"
	"os"
)

// mmapFile is not used outside Linux: files are read.
func mmapFile(f *os.File, off int64, n int) ([]byte, error) {
	return nil, errors.ErrUnsupported
}

func munmap(b []byte) error { return nil }
