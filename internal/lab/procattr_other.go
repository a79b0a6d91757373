//go:build !linux

package lab

import "syscall"

func ownGroupDyingWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
