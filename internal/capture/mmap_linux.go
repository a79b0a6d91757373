//go:build linux

package capture

import (
	"os"
	"syscall"
)

// mmapFile maps n bytes of f from offset off (a multiple of the page size)
// read-only. MAP_POPULATE fills the page tables at once: with the page
// cache's huge folios that costs little and the window is then read
// without a fault; with 4 KiB pages it spares a fault per 64 KiB (the
// kernel's fault-around). (MADV_SEQUENTIAL, MADV_WILLNEED and
// MADV_POPULATE_READ measured no better; MADV_SEQUENTIAL would also let
// the kernel drop the pages read, a warm cache that the next run wants.)
func mmapFile(f *os.File, off int64, n int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), off, n, syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
}

func munmap(b []byte) error { return syscall.Munmap(b) }

// fileStat is the buffer fileSize fills.
type fileStat = syscall.Stat_t

// fileSize returns f's size now (fstat), allocating nothing.
func fileSize(f *os.File, st *fileStat) (int64, error) {
	if err := syscall.Fstat(int(f.Fd()), st); err != nil {
		return 0, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	return st.Size, nil
}
