package lab

import "syscall"

// ownGroupDyingWithParent puts a child in a process group of its own and
// has the kernel kill it if the lab dies first.
func ownGroupDyingWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
