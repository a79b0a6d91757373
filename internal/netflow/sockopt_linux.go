package netflow

import (
	"net"
	"syscall"
)

// readBuffer returns the socket's receive buffer size as the kernel
// reports it (Linux doubles the requested size; 0 when unknown).
func readBuffer(c *net.UDPConn) int {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	var n int
	raw.Control(func(fd uintptr) {
		n, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	return n
}

// setReadBuffer asks for n bytes of receive buffer: SO_RCVBUFFORCE first
// (allowed with CAP_NET_ADMIN, it passes net.core.rmem_max), then the
// ordinary option, which the kernel caps at rmem_max.
func setReadBuffer(c *net.UDPConn, n int) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, n)
	})
	if serr == nil {
		return nil
	}
	return c.SetReadBuffer(n)
}
