package netflow

import (
	"encoding/binary"
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

// countKernelDrops asks the kernel to tell, with each datagram, how many
// it dropped on the socket so far (SO_RXQ_OVFL: its receive buffer was
// full); false where it cannot.
func countKernelDrops(c *net.UDPConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
	})
	return serr == nil
}

// kernelDrops reads the drop count SO_RXQ_OVFL put in a datagram's
// control data; ok is false when there is none (no drop yet).
func kernelDrops(oob []byte) (n uint32, ok bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}
