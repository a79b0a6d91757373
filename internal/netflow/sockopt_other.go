//go:build !linux

package netflow

import "net"

func readBuffer(c *net.UDPConn) int { return 0 }

func setReadBuffer(c *net.UDPConn, n int) error { return c.SetReadBuffer(n) }
