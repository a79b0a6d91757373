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

// fileStat is the buffer fileSize fills (none needed here).
type fileStat struct{}

// fileSize returns f's size now.
func fileSize(f *os.File, _ *fileStat) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// anonBuffer is not used outside Linux.
func anonBuffer(n int) ([]byte, error) { return nil, errors.ErrUnsupported }

// resident is not used outside Linux: files are read.
func resident(f *os.File, n int) (float64, error) { return 0, errors.ErrUnsupported }
