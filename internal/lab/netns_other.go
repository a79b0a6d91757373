//go:build !linux

package lab

import (
	"errors"
	"net"
)

// listenIn needs Linux network namespaces.
func listenIn(ns, addr string) (net.Listener, error) {
	return nil, errors.New("lab: network namespaces need Linux")
}
