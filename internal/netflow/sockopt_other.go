//go:build !linux

package netflow

import "net"

func readBuffer(c *net.UDPConn) int { return 0 }

func setReadBuffer(c *net.UDPConn, n int) error { return c.SetReadBuffer(n) }

func countKernelDrops(c *net.UDPConn) bool { return false }

func kernelDrops(oob []byte) (uint32, bool) { return 0, false }
