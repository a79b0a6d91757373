//go:build linux

package capture

import (
	"os"
	"syscall"
	"unsafe"
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

// anonBuffer returns n bytes of fresh anonymous memory, every page
// touched, outside the Go heap (munmap frees it).
func anonBuffer(n int) ([]byte, error) {
	return syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
}

// resident returns the share of the pages of f's first n bytes that are
// in the page cache (mincore(2) on a mapping made without populating
// it); an error when f cannot be mapped.
func resident(f *os.File, n int) (float64, error) {
	mem, err := syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return 0, err
	}
	defer syscall.Munmap(mem)
	vec := make([]byte, (n+pageSize-1)/pageSize)
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(mem))), uintptr(n), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	if errno != 0 {
		return 0, errno
	}
	in := 0
	for _, v := range vec {
		in += int(v & 1)
	}
	return float64(in) / float64(len(vec)), nil
}
